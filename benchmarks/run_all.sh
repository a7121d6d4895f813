#!/bin/sh
# Every benchmark of benchmarks/README.md, five runs each (about an hour on 2 CPUs); prints the results table.
#   benchmarks/run_all.sh                      # all three
#   benchmarks/run_all.sh records --runs 5     # one of: quarter, backfill, records
# Extra arguments go to benchmarks/run.py (--json FILE keeps every measurement; --table-from FILE reprints).
set -eu
cd "$(dirname "$0")/.."
export GX_ANALYTICS_ENABLED=false DAGSTER_DISABLE_TELEMETRY=1
exec .venv/bin/python benchmarks/run.py "$@"
