#!/usr/bin/env bash
# One-time (and idempotent) setup: two virtual environments and the system tools.
#   .venv/backend  Python >= 3.11, the business core (SQLAlchemy 2, FastAPI)
#   .venv/rasa     Python 3.10, Rasa Open Source 3.6.21 and the action server
#   .venv/tools    ruff and mypy (scripts/lint.sh, pre-commit)
# Each environment installs from a lock with hashes (every package, direct or not, at one version,
# only files with those hashes): backend/requirements.lock, bot/requirements.lock,
# scripts/tools-requirements.txt, made from the hand-written requirements files with uv (the
# command is at the top of each lock; README "Tooling"). Re-running only reinstalls an
# environment whose lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PIP_DISABLE_PIP_VERSION_CHECK=1 RASA_TELEMETRY_ENABLED=false

die() { echo "setup: $*" >&2; exit 1; }

find_python() {  # $1 = wanted "3.10" or "3.11+"
  local want=$1 c
  local cands=()
  if [ "$want" = "3.10" ]; then
    cands+=(python3.10)
    for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*; do cands+=("$d/bin/python"); done
  else
    cands+=(python3.12 python3.11 python3)
    for d in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[1-3].*; do cands+=("$d/bin/python"); done
  fi
  for c in "${cands[@]}"; do
    command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || continue
    local v; v=$("$c" -c 'import sys;print("%d.%d"%sys.version_info[:2])' 2>/dev/null) || continue
    if [ "$want" = "3.10" ] && [ "$v" = "3.10" ]; then echo "$c"; return 0; fi
    if [ "$want" != "3.10" ] && [[ "$v" =~ ^3\.(1[1-9])$ ]]; then echo "$c"; return 0; fi
  done
  return 1
}

# A lock is out of date when a pin of its requirements file is not in it (edited by hand, lock not remade).
check_lock() {  # $1 requirements file, $2 its lock
  local pin missing=()
  while read -r pin; do
    grep -qixF -- "$pin \\" "$2" || missing+=("$pin")
  done < <(sed -e 's/#.*//' -e 's/\[[^]]*\]//' -e 's/[[:space:]]//g' "$1" | grep '==' \
    | awk -F'==' '{ n = tolower($1); gsub(/[_.]/, "-", n); print n "==" $2 }')
  [ ${#missing[@]} -eq 0 ] || die "$2 does not pin ${missing[*]} of $1: remake it with the command at its top"
}

make_venv() {  # $1 venv dir, $2 python, $3 requirements file (a lock with hashes: pip --require-hashes)
  local venv=$1 py=$2 req=$3 stamp="$1/.requirements.sha"
  local sum; sum=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return 0; fi
  echo "setup: installing $req into $venv (first run takes a few minutes)"
  if [ ! -x "$venv/bin/python" ]; then
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip wheel setuptools
  fi
  local hashes=()  # a lock with hashes installs exactly those files, nothing unhashed
  grep -q -- '--hash=' "$req" && hashes=(--require-hashes)
  "$venv/bin/python" -m pip install -q "${hashes[@]}" -r "$req"
  echo "$sum" > "$stamp"
}

PY_BACKEND=$(find_python 3.11+) || die "Python 3.11 or newer is needed for the backend. Install it (e.g. 'pyenv install 3.11') and run again."
PY_RASA=$(find_python 3.10) || die "Python 3.10 is needed for Rasa 3.6.21. Install it (e.g. 'pyenv install 3.10.13') and run again."

check_lock backend/requirements.txt backend/requirements.lock
check_lock bot/requirements.txt bot/requirements.lock
make_venv .venv/backend "$PY_BACKEND" backend/requirements.lock
make_venv .venv/rasa "$PY_RASA" bot/requirements.lock
make_venv .venv/tools "$PY_BACKEND" scripts/tools-requirements.txt

# System tools the tests use: pdftotext (poppler-utils) to read generated PDFs.
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# poppler needs poppler-data to extract text set in the CJK CID fonts of our PDFs
[ -d /usr/share/poppler/cMap ] || missing+=(poppler-data)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } \
      || die "could not install ${missing[*]}; install it yourself (Debian: apt-get install ${missing[*]})"
  else
    die "missing system packages: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})"
  fi
fi
# The help widget page and its browser tests (Node.js packages, Debian's chromium).
[ -x scripts/setup_web.sh ] && scripts/setup_web.sh
# Benchmarks and the scale-out test (tests/bot/test_scaleout.py, run by CI): nginx, wrk, hyperfine, py-spy
# Not needed to run the assistant: only fatal under CI=true, where the scale-out test must run.
if [ -x scripts/setup_bench.sh ] && ! scripts/setup_bench.sh; then
  [ "${CI:-}" = true ] && die "benchmark/scale-out tools are required under CI=true"
  echo "setup: benchmark and scale-out tools are missing (see above); the assistant runs without them"
fi
mkdir -p var
echo "setup: ready"
