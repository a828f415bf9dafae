#!/usr/bin/env bash
# Format, lint and type checks (the first step of scripts/test.sh; also run by pre-commit).
#   ruff format --check, ruff check     whole tree (settings in pyproject.toml)
#   mypy backend/sz_backend              against .venv/backend's packages, Python 3.11
#   mypy bot bench                       against .venv/rasa's packages, Python 3.10
#   mypy tests/bot's helper modules      likewise (conftest.py, channel_fixtures.py, stack.py, *_driver.py)
# The tools come from .venv/tools (scripts/tools-requirements.txt, installed by scripts/setup.sh).
# Usage: scripts/lint.sh [ruff|mypy]   (default: both)
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
TOOLS=$ROOT/.venv/tools/bin
[ -x "$TOOLS/ruff" ] && [ -x "$TOOLS/mypy" ] || { echo "lint: $TOOLS lacks ruff/mypy: run scripts/setup.sh" >&2; exit 2; }
what=${1:-all}
status=0
if [ "$what" = all ] || [ "$what" = ruff ]; then
  "$TOOLS/ruff" format --check --quiet . || { echo "lint: run '$TOOLS/ruff format .'"; status=1; }
  "$TOOLS/ruff" check --quiet --output-format concise . || status=1
fi
if [ "$what" = all ] || [ "$what" = mypy ]; then
  # Each run reads the site-packages of its environment's interpreter; caches in var/ (ignored by git).
  "$TOOLS/mypy" --cache-dir var/mypy-cache/backend --python-version 3.11 \
    --python-executable "$BACKEND_PY" backend/sz_backend || status=1
  "$TOOLS/mypy" --cache-dir var/mypy-cache/rasa --python-version 3.10 \
    --python-executable "$RASA_PY" bot bench || status=1
  # tests/bot's shared fixtures and helpers, as pytest imports them (top-level modules of that directory)
  (cd tests/bot && MYPYPATH="$ROOT:$ROOT/backend" "$TOOLS/mypy" --config-file "$ROOT/pyproject.toml" \
    --cache-dir "$ROOT/var/mypy-cache/tests-bot" --python-version 3.10 --python-executable "$RASA_PY" \
    conftest.py channel_fixtures.py stack.py actions_driver.py ivr_driver.py wechat_driver.py) || status=1
fi
exit $status
