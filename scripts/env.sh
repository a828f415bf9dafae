# Shared environment for the scripts (sourced, not run).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export RASA_TELEMETRY_ENABLED=false
export SZ_BACKEND_URL=${SZ_BACKEND_URL:-http://127.0.0.1:8000}
BACKEND_PY=$ROOT/.venv/backend/bin/python
RASA_PY=$ROOT/.venv/rasa/bin/python
RASA=$ROOT/.venv/rasa/bin/rasa
# Where train_model puts models and which config it trains (overridable, e.g. to try a config copy).
MODELS_DIR=${SZ_MODELS_DIR:-$ROOT/models}
MODEL_CONFIG=${SZ_MODEL_CONFIG:-config.yml}

# One training serves scripts/test.sh and scripts/run.sh while nothing it depends on
# changed. `rasa train` (Rasa 3) has no such check: it always builds and saves a new
# model, and only skips components whose fingerprint is in the local training cache
# (.rasa/cache). That cache is capped at 1000 MB (RASA_MAX_CACHE_SIZE) and one training
# of this pipeline puts ~400 MB in it (ResponseSelector ~285 MB, DIET ~77 MB), so any
# other training in between (another config, the NLU evaluation, an edited component)
# evicts it and the next `rasa train` starts again from scratch. So the model is
# named after a digest of its inputs (models/sz-<digest>.tar.gz) and train_model only
# trains when no model of that name exists.

# Digest of what a trained model depends on: config, domain, training data, the custom
# NLU components (code and dictionaries), the speed patches training runs with
# (bot/rasa_ext/speedups.py), the Rasa environment's requirements.
model_inputs_digest() {
  (cd "$ROOT" && {
    find "$MODEL_CONFIG" domain.yml bot/data bot/components bot/rasa_ext/speedups.py -type f \
      ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '*.swp' ! -name '*~' -print0 \
      | LC_ALL=C sort -z | xargs -0 sha256sum
    cat .venv/rasa/.requirements.sha 2>/dev/null || true
  } | sha256sum | cut -c1-16)
}

# The model file of the current inputs (it may not exist yet).
model_file() {
  echo "$MODELS_DIR/sz-$(model_inputs_digest).tar.gz"
}

# Staleness check: "up to date: FILE" (status 0) or "stale: ..." (status 1).
model_status() {
  local f; f=$(model_file)
  if [ -s "$f" ]; then echo "model up to date: $f"; return 0; fi
  echo "model stale: no $f (config, domain, bot/data or bot/components changed since the last training)"
  return 1
}

# Train the assistant unless $MODELS_DIR already holds the model of the current inputs.
# That model is made the newest file in $MODELS_DIR, which is what `--model models` loads;
# its path is left in TRAINED_MODEL.
train_model() {
  local f name tmp
  f=$(model_file)
  TRAINED_MODEL=$f
  if [ -s "$f" ]; then
    touch "$f"
    echo "train: model up to date ($f)"
    return 0
  fi
  name=$(basename "$f" .tar.gz)
  tmp="$MODELS_DIR/.training-$name-$$"       # not *.tar.gz in $MODELS_DIR until complete
  mkdir -p "$tmp"
  if ! (cd "$ROOT" && "$RASA_PY" -m bot.rasa_ext train --domain domain.yml --data bot/data --config "$MODEL_CONFIG" \
          --out "$tmp" --fixed-model-name "$name" --quiet); then
    rm -rf "$tmp"
    return 1
  fi
  mv "$tmp/$name.tar.gz" "$f"
  rm -rf "$tmp"
  echo "train: model saved ($f)"
  # keep the three newest models (~180 MB each); older inputs are retrained if they come back
  ls -1t "$MODELS_DIR"/sz-*.tar.gz 2>/dev/null | tail -n +4 | xargs -r rm -f
}
