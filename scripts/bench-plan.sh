#!/usr/bin/env bash
# Measures the wall time of the whole offline plan process (`npm run plan -- --stack <stack>`), N runs.
# Usage: npm run bench -- [stack] [runs]     (defaults: prod, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-prod}"; runs="${2:-5}"
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  npm run -s plan -- --stack "$stack" --quiet >/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "plan --stack $stack, $runs runs on $(nproc) cores: min ${sorted[0]} ms, median ${sorted[$((runs / 2))]} ms, max ${sorted[$((runs - 1))]} ms"
