#!/usr/bin/env bash
# Times the whole `npm test` (type check and every test, as CI runs it), N runs: wall and CPU (user+sys, children
# included), with the machine's core count and load. Fails if a run fails (its output is in the printed log file).
# --cold-typecheck drops tsc's build info before each run, so tsc checks the whole project as after any edit (an
# edit re-checks at most that much) and as on a fresh clone; without it, an unchanged project's check is skipped.
# Usage: npm run bench:tests -- [--runs 3] [--cold-typecheck]
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: npm run bench:tests -- [--runs <n>] [--cold-typecheck]

Times the whole npm test (type check and every test), n times: wall and CPU (user+sys, children included), with
the core count and load. --cold-typecheck drops tsc's build info before each run (a whole check).

Exit: 0 measured; 1 a run failed (its log is named); 2 usage."
runs=3
cold=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --runs) [ $# -ge 2 ] || { echo "error: --runs needs a value (see --help)" >&2; exit 2; }; runs="$2"; shift 2 ;;
    --cold-typecheck) cold=1; shift ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "error: --runs must be a whole number of at least 1 (got '$runs')" >&2; exit 2 ;; esac
timing="$(mktemp)"; log="$(mktemp)"
build_info="$(node -p 'require("./tsconfig.json").compilerOptions.tsBuildInfoFile')"
walls=(); cpus=()
for _ in $(seq "$runs"); do
  [ -z "$cold" ] || rm -f "$build_info"
  if ! /usr/bin/time -o "$timing" -f "%e %U %S" npm test >"$log" 2>&1; then
    echo "error: npm test failed; output in $log" >&2
    exit 1
  fi
  read -r wall user sys <"$timing"
  walls+=("$wall"); cpus+=("$(echo "$user + $sys" | bc)")
done
passed="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n 's/^ *Tests *\([0-9][0-9]*\) passed.*/\1/p' | tail -1)"
sorted() { printf '%s\n' "$@" | sort -n | tr '\n' ' '; }
echo "npm test ($passed tests, type check $([ -n "$cold" ] && echo "cold each run" || echo "skipped when unchanged")), $runs runs on $(nproc) cores (load $(cut -d' ' -f1-3 /proc/loadavg)): wall s: $(sorted "${walls[@]}")| cpu s: $(sorted "${cpus[@]}")"
