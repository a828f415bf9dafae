#!/usr/bin/env bash
# Run the whole test suite (installs what it needs first).
#  0. format, lint and type checks (scripts/lint.sh: ruff format --check, ruff check, mypy),
#  1. backend on SQLite, 2. backend on PostgreSQL (skipped when the server is
#  absent, a failure under CI=true), 3. the assistant: data validation, one
#  training, test stories, then actions/channels/widget/scale-out against real
#  processes (they reuse the trained model in models/).
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh"
cd "$ROOT"
status=0
echo "== format, lint, types (scripts/lint.sh: ruff, mypy)"
"$ROOT/scripts/lint.sh" || status=1
echo "== backend (SQLite)"
"$BACKEND_PY" -m pytest tests/backend -q -p no:cacheprovider "$@" || status=1
echo "== backend (PostgreSQL)"
TEST_DATABASE=postgres "$BACKEND_PY" -m pytest tests/backend -q -p no:cacheprovider -m "not sqlite_only" "$@" || status=1
echo "== assistant: training data and domain"
"$RASA" data validate --domain domain.yml --data bot/data --config config.yml --quiet || status=1
echo "== assistant: training (once; reused while the data is unchanged)"
train_model
echo "== assistant: test stories"
"$RASA" test core --model models --stories tests/bot/stories --fail-on-prediction-errors \
  --out var/results/core --quiet || status=1
echo "== assistant: actions, channels, widget, scale-out"
# Backends started by these tests seed demo accounts with small Argon2id costs.
SZ_PASSWORD_HASH=fast "$RASA_PY" -m pytest tests/bot -q -p no:cacheprovider "$@" || status=1
exit $status
