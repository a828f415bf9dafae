#!/usr/bin/env bash
# Set everything up and start the assistant on embedded defaults (SQLite):
#   backend        http://127.0.0.1:8000   (API docs at /docs)
#   action server  http://127.0.0.1:5055
#   Rasa server    http://127.0.0.1:5005   (REST: /webhooks/rest/webhook, Socket.IO for the widget)
#   help page      http://127.0.0.1:8080   (demo log-in and the chat widget)
# Ctrl-C stops them all.
# Security (docs/security.md): everything listens on 127.0.0.1; Rasa's HTTP API needs the token in
# var/rasa-auth-token (or SZ_RASA_AUTH_TOKEN) and sends CORS headers only for the widget's page
# (SZ_WIDGET_ORIGINS; bot/server_args.py). This is a DEVELOPMENT start: SZ_DEV_MODE=1 lets the backend
# and channels use the built-in development secrets and WeChat's plaintext mode, and it says so.
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh"
mkdir -p "$ROOT/var/log"
export SZ_DEV_MODE=1
echo "run: DEVELOPMENT MODE (SZ_DEV_MODE=1): development secrets allowed, demo people seeded; not for production (docs/security.md)"
if [ -z "${SZ_RASA_AUTH_TOKEN:-}" ]; then
  SZ_RASA_AUTH_TOKEN=$(cd "$ROOT" && "$RASA_PY" -c 'import sys; from pathlib import Path; from bot.server_args import token_file_token; print(token_file_token(Path(sys.argv[1])))' var/rasa-auth-token)
fi
export SZ_RASA_AUTH_TOKEN
mapfile -t RASA_API_ARGS < <(cd "$ROOT" && "$RASA_PY" -m bot.server_args)
[ "${#RASA_API_ARGS[@]}" -gt 0 ] || { echo "run: bad Rasa API settings (see above)" >&2; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

wait_http() {  # url name
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 1
  done
  echo "run: $2 did not start; see var/log/" >&2; exit 1
}

echo "run: starting the backend"
(cd "$ROOT/backend" && exec "$BACKEND_PY" -m sz_backend.cli serve --port 8000) >"$ROOT/var/log/backend.log" 2>&1 &
pids+=($!)
echo "run: training the assistant if its inputs changed (first time: a few minutes)"
train_model            # reuses the model scripts/test.sh trained when nothing changed (scripts/env.sh)
echo "run: starting the action server"
# the action server listens on 127.0.0.1 too (rasa_sdk reads SANIC_HOST)
(cd "$ROOT" && SANIC_HOST=${SZ_ACTIONS_INTERFACE:-127.0.0.1} exec "$RASA" run actions --actions bot.actions --port 5055) >"$ROOT/var/log/actions.log" 2>&1 &
pids+=($!)
echo "run: starting Rasa"
(cd "$ROOT" && exec "$RASA_PY" -m bot.rasa_ext run "${RASA_API_ARGS[@]}" --port 5005 --model "$TRAINED_MODEL" \
   --endpoints endpoints.yml --credentials credentials.yml) >"$ROOT/var/log/rasa.log" 2>&1 &
pids+=($!)
echo "run: starting the help page"
(cd "$ROOT" && exec "$RASA_PY" web/serve.py --port 8080) >"$ROOT/var/log/web.log" 2>&1 &
pids+=($!)
wait_http http://127.0.0.1:8000/health backend
wait_http http://127.0.0.1:5055/health "action server"
wait_http "http://127.0.0.1:5005/status?token=$SZ_RASA_AUTH_TOKEN" Rasa
wait_http http://127.0.0.1:8080/healthz "help page"
cat <<MSG

The assistant is running.
  Help page with the widget: http://127.0.0.1:8080  (log in as lina / Demo@2026)
  Backend API and its docs:  http://127.0.0.1:8000/docs
  Chat over REST:            curl -s localhost:5005/webhooks/rest/webhook -d '{"sender":"me","message":"你好"}'
  Rasa HTTP API (conversations, status): token in var/rasa-auth-token, e.g.
    curl -s "localhost:5005/status?token=\$(cat var/rasa-auth-token)"
  Demo users (password Demo@2026) are listed in README.md.
  Development mode: development secrets and demo people; see docs/security.md for production settings.
Press Ctrl-C to stop.
MSG
wait
