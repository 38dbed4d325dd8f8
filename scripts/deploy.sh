#!/usr/bin/env bash
# The documented deploy: `pulumi preview`, then (with `up`) `pulumi up`, both ALWAYS with the policy pack and
# pack config generated from the stack's own config (npm run pack-config), so a mandatory violation blocks the
# update and the pack checks the namespace and registry this stack really has.
# Usage: scripts/deploy.sh <stack> [preview|up] [-- <extra pulumi args>]
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/deploy.sh <stack> [preview|up] [-- <extra pulumi args>]

Runs pulumi preview (and with 'up' then pulumi up) for the stack with --policy-pack policies and
--policy-pack-config generated from Pulumi.<stack>.yaml. Needs the Pulumi CLI logged in to the state backend,
GCP credentials, and npm ci in the repository and in policies/. Before either, it checks: the login
(pulumi whoami), that the stack exists, that every secure: value decrypts (not the committed placeholder),
and for up that no image is pinned to the placeholder digest (scripts/deploy-checks.mjs).

Exit: 0 done; 1 pulumi refused or failed (policy violations included); 2 usage or a missing prerequisite."
die() { echo "error: $1" >&2; exit 2; }
case "${1:-}" in -h|--help) echo "$usage"; exit 0 ;; "") die "a stack is required (see --help)" ;; esac
stack="$1"; shift
action=preview
if [ $# -gt 0 ] && [ "$1" != "--" ]; then action="$1"; shift; fi
case "$action" in preview|up) ;; *) die "unknown action '$action': preview or up (see --help)" ;; esac
if [ $# -gt 0 ]; then [ "$1" = "--" ] || die "unexpected argument '$1' (extra pulumi arguments go after --)"; shift; fi
if [ ! -f "Pulumi.$stack.yaml" ]; then
  die "no stack '$stack': Pulumi.$stack.yaml does not exist; stacks here: $(ls Pulumi.*.yaml 2>/dev/null | sed 's/^Pulumi\.//; s/\.yaml$//' | LC_ALL=C sort | paste -sd, - | sed 's/,/, /g')"
fi
# Preconditions, before anything is planned or changed (docs/deploy-lifecycle.md "Placeholders").
. scripts/preconditions.sh
require_tools pulumi node npm
[ -d node_modules ] || die "run npm ci first (the program's dependencies)"
[ -d policies/node_modules ] || die "run npm ci --prefix policies first (the policy pack's dependencies)"
require_pulumi_login
require_stack "$stack"
# Every secret must decrypt with the stack's own provider: the committed placeholder never does.
while read -r key kind; do
  [ -n "$key" ] || continue
  [ "$kind" != placeholder ] ||
    die "$key is still the committed placeholder: pulumi config set --secret $key '<value>' --stack $stack, then commit Pulumi.$stack.yaml"
  pulumi config get "$key" --stack "$stack" </dev/null >/dev/null 2>&1 ||
    die "$key cannot be decrypted with the stack's secrets provider: pulumi config set --secret $key '<value>' --stack $stack (or grant this identity the secrets key, README Troubleshooting)"
done < <(node scripts/deploy-checks.mjs secure-keys "Pulumi.$stack.yaml")
# An image still pinned to the placeholder digest would never pull (docs/deploy-lifecycle.md "Placeholders").
if [ "$action" = up ]; then node scripts/deploy-checks.mjs placeholders "Pulumi.$stack.yaml" "$stack" || exit 2; fi

config="$(mktemp -t "pack-config-$stack.XXXXXX.json")"
trap 'rm -f "$config"' EXIT
npm run -s pack-config -- --stack "$stack" --out "$config" || exit $?

pack=(--policy-pack policies --policy-pack-config "$config")
pulumi preview --stack "$stack" "${pack[@]}" "$@" || exit 1
if [ "$action" = up ]; then
  pulumi up --stack "$stack" "${pack[@]}" "$@" || exit 1
fi
