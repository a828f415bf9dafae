#!/usr/bin/env bash
# Setup for the benchmarks and the scale-out deployment (idempotent, quick when done).
#   - Debian packages: nginx (load balancer of the scale-out setup), wrk (HTTP load on the backend),
#     hyperfine (times whole commands); installed with apt-get when missing (as root).
#   - bench/requirements.lock (py-spy, hashed; made from bench/requirements.txt) into .venv/rasa;
#     checks that .venv/rasa can reach PostgreSQL (psycopg2) and Redis (redis) for the scale-out tracker and lock stores.
# Called by scripts/bench.sh and scripts/scaleout.sh; needs scripts/setup.sh to have made the venvs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
die() { echo "setup_bench: $*" >&2; exit 1; }

[ -x .venv/rasa/bin/python ] || die ".venv/rasa is missing: run scripts/setup.sh first"

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup_bench: installing ${missing[*]} with apt-get"
    # nginx from Debian starts a default site on :80 when installed under systemd; here the
    # package only installs (no init system), and the scale-out setup runs its own nginx
    # with a config of its own in var/scaleout/.
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } \
      || die "could not install ${missing[*]}; install it yourself (Debian: apt-get install ${missing[*]})"
  else
    die "missing system packages: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})"
  fi
fi

stamp=.venv/rasa/.bench-requirements.sha
sum=$(sha256sum bench/requirements.lock | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
  echo "setup_bench: installing bench/requirements.lock into .venv/rasa"
  .venv/rasa/bin/python -m pip install -q --require-hashes -r bench/requirements.lock
  echo "$sum" > "$stamp"
fi
.venv/rasa/bin/python -c "import psycopg2, redis" 2>/dev/null \
  || die ".venv/rasa lacks psycopg2/redis (pinned in bot/requirements.txt): re-run scripts/setup.sh"
mkdir -p var
