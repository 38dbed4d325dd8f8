#!/usr/bin/env bash
# Times the whole `npm test` (type check and every test, as CI runs it), N runs: wall and CPU (user+sys, children
# included), with the machine's core count and load. Usage: npm run bench:tests -- [--runs 3]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: npm run bench:tests -- [--runs N]" >&2; exit 2 ;;
  esac
done
walls=(); cpus=()
for _ in $(seq "$runs"); do
  out="$( { /usr/bin/time -f "%e %U %S" npm test >/dev/null 2>/dev/null; } 2>&1 | tail -1)"
  read -r wall user sys <<<"$out"
  walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)")
done
sorted() { printf '%s\n' "$@" | sort -n | tr '\n' ' '; }
echo "npm test, $runs runs on $(nproc) cores (load $(cut -d' ' -f1-3 /proc/loadavg)): wall s: $(sorted "${walls[@]}")| cpu s: $(sorted "${cpus[@]}")"
