#!/usr/bin/env bash
# Run the whole test suite (installs what it needs first).
#  1. backend on SQLite, 2. backend on PostgreSQL (skipped when the server is
#  absent, a failure under CI=true), 3. the assistant (trains the model once).
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
status=0
echo "== backend (SQLite)"
"$BACKEND_PY" -m pytest tests/backend -q -p no:cacheprovider "$@" || status=1
echo "== backend (PostgreSQL)"
TEST_DATABASE=postgres "$BACKEND_PY" -m pytest tests/backend -q -p no:cacheprovider -m "not sqlite_only" "$@" || status=1
if [ -d tests/bot ] && [ -f config.yml ] && [ -d domain ]; then
  echo "== assistant"
  train_model
  "$RASA_PY" -m pytest tests/bot -q -p no:cacheprovider "$@" || status=1
fi
exit $status
