#!/usr/bin/env bash
# Scale-out deployment on one machine (docs/scaleout.md):
#   scripts/scaleout.sh start [--rasa 2] [--actions 2] [--backend-workers 1] [--model FILE] [--fresh]
#   scripts/scaleout.sh status
#   scripts/scaleout.sh stop
# start: N Rasa servers sharing a PostgreSQL tracker store and a Redis lock store, N action servers,
# the backend on PostgreSQL, nginx in front (REST/API/Socket.IO on 127.0.0.1:5080). Needs the local
# PostgreSQL (127.0.0.1:5432, trust auth, user postgres) and Redis (127.0.0.1:6379) servers and a trained
# model (models/, or --model). Config, logs and pids: var/scaleout/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cmd=${1:-}
case "$cmd" in
  start)
    [ -x "$RASA_PY" ] && [ -x "$BACKEND_PY" ] || "$ROOT/scripts/setup.sh"
    "$ROOT/scripts/setup_bench.sh"
    if ! ls "$ROOT"/models/*.tar.gz >/dev/null 2>&1 && [[ " $* " != *" --model "* ]]; then
      echo "scaleout: training the assistant (no model in models/ yet)"
      train_model
    fi ;;
  stop|status) ;;
  *) echo "usage: scripts/scaleout.sh start|stop|status [options]" >&2; exit 2 ;;
esac
cd "$ROOT"
exec "$RASA_PY" -m bench.scaleout "$@"
