#!/usr/bin/env bash
# Measure the assistant and write docs/benchmarks.md (bench/run_bench.py; raw results in var/bench/).
#   scripts/bench.sh                    # everything: training time, NLU, speed, growth, scale-out (25-40 min)
#   scripts/bench.sh --quick            # smoke run (short windows, small sizes)
#   scripts/bench.sh --only speed,report --model models/<file>.tar.gz
#   scripts/bench.sh --only report      # re-render docs/benchmarks.md from var/bench/results.json
# Starts its own processes on free ports (backend, action servers, Rasa, nginx) and stops them; uses
# scratch databases sz_bench_* / rasa_bench_* on the local PostgreSQL and Redis db 4 when they are there.
# Run it on a quiet machine: figures taken while other work runs are preliminary (pass
# --preliminary "why" to say so in the report).
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [[ " $* " != *" --only report "* ]]; then
  "$ROOT/scripts/setup.sh"
  "$ROOT/scripts/setup_bench.sh"
fi
cd "$ROOT"
exec "$RASA_PY" -m bench.run_bench "$@"
