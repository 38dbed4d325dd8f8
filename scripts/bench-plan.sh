#!/usr/bin/env bash
# Measures the wall time of the whole offline plan process (`npm run plan -- --stack <stack> --quiet`), N runs.
# Usage: npm run bench -- [--stack <name>] [--runs <n>]     (defaults: prod, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: npm run bench -- [--stack <name>] [--runs <n>]

Times the whole offline plan process (start to exit) of the stack, n times, and prints min, median and max
with the machine's core count. Defaults: --stack prod --runs 5.

Exit: 0 measured; 1 a plan failed; 2 usage."
stack=prod; runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --stack) [ $# -ge 2 ] || { echo "error: --stack needs a value (see --help)" >&2; exit 2; }; stack="$2"; shift 2 ;;
    --runs) [ $# -ge 2 ] || { echo "error: --runs needs a value (see --help)" >&2; exit 2; }; runs="$2"; shift 2 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "error: --runs must be a whole number of at least 1 (got '$runs')" >&2; exit 2 ;; esac
if [ ! -f "Pulumi.$stack.yaml" ]; then
  echo "error: no stack '$stack': Pulumi.$stack.yaml does not exist; stacks here: $(ls Pulumi.*.yaml 2>/dev/null | sed 's/^Pulumi\.//; s/\.yaml$//' | LC_ALL=C sort | paste -sd, - | sed 's/,/, /g')" >&2
  exit 2
fi
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  npm run -s plan -- --stack "$stack" --quiet >/dev/null || { echo "error: the plan of stack '$stack' failed (npm run plan -- --stack $stack)" >&2; exit 1; }
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "plan --stack $stack, $runs runs on $(nproc) cores: min ${sorted[0]} ms, median ${sorted[$((runs / 2))]} ms, max ${sorted[$((runs - 1))]} ms"
