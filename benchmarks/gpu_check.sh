#!/usr/bin/env bash
# The GPU check in one call (benchmarks/gpu_check.py): estimator throughput, a PPO iteration profile and a
# from-scratch SFT -> PPO-sparse vs PPO-SPA comparison on ALFWorld; prints one summary.
#   benchmarks/gpu_check.sh            full sizes, needs CUDA (an H200: at most ~8 minutes)
#   benchmarks/gpu_check.sh --tiny     the same script on CPU with tiny sizes (1-2 minutes); or GPU_CHECK_TINY=1
# Results: $OUT/summary.{md,json} when $OUT is set (the device machine's return folder), else runs/gpu_check.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [[ "${1:-}" == "--tiny" || "${GPU_CHECK_TINY:-0}" == "1" ]]; then
    args+=(--tiny)
fi
# The device machine gets the working tree, not an installed package: import spa_gym from it.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec timeout 480 python3 benchmarks/gpu_check.py "${args[@]}" --out "${OUT:-runs/gpu_check}"
