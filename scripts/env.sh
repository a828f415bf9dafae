# Shared environment for the scripts (sourced, not run).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RASA_TELEMETRY_ENABLED=false
export SZ_BACKEND_URL=${SZ_BACKEND_URL:-http://127.0.0.1:8000}
BACKEND_PY=$ROOT/.venv/backend/bin/python
RASA_PY=$ROOT/.venv/rasa/bin/python
RASA=$ROOT/.venv/rasa/bin/rasa

# Train the assistant unless models/ already holds a model of the current data
# (rasa compares fingerprints and then only reports "Nothing changed").
train_model() {
  (cd "$ROOT" && "$RASA" train --domain domain --data bot/data --config config.yml --out models --quiet)
}
