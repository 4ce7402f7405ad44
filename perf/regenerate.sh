#!/usr/bin/env bash
# Regenerate every report under perf/ in one go, ending with perf/REPORT.md and its plots.
#
#   bash perf/regenerate.sh           # the full run (about 25 minutes on 2 cores)
#   bash perf/regenerate.sh --quick   # shorter spans, same shape (a few minutes)
#
# Each step writes its own report; the last (wire_to_wire) measures wire-to-wire
# tick-to-trade and folds the others into REPORT.md. Numbers are only comparable within
# one run: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

if (( quick )); then
  pipeline_args=(--seconds 2 --warmup 1)
  wire_args=(--seconds 4 --warmup 2 --rates 1000,100000)
else
  pipeline_args=()
  wire_args=(--seconds 20 --warmup 3)
fi

run() { echo "+ $*" >&2; "$@"; }

run cargo bench --bench components
if grep -q '^name = "micro"' Cargo.toml; then
  run cargo bench --bench micro
fi
run cargo bench --bench hot_path -- "${pipeline_args[@]}"
run cargo bench --bench hot_path -- --only live --out perf/ORDER_PATH.md "${pipeline_args[@]}"
run cargo bench --bench wire_to_wire -- "${wire_args[@]}"
