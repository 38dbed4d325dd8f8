#!/usr/bin/env bash
# The deploy path of README "Bootstrap from an empty organization", "Deploying for real", "Adding an enterprise
# customer" and "Offboarding", in the README's order, as one script: run against the stand-ins of
# test/rehearsal/bin (pulumi, gcloud, docker, buildah, skopeo: they keep state and refuse what the real tools
# refuse, each rule citing the behaviour it models), in a scratch copy of this repository, so that a step the
# README gives out of order, or a script that skips a precondition, fails here and not on a fresh organization.
# The repository's own scripts (deploy.sh, publish-*.sh, npm run new-enterprise / pack-config) run for real.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ALL_STEPS="credentials bootstrap stack secret backend platform-images first-up dns copy-images canary-on second-up customer offboard"
usage="usage: scripts/rehearse.sh [--steps <step,step,...>] [--keep]

Runs the deploy path step by step against the stand-ins in test/rehearsal/bin, in a scratch copy of the
repository (state in a temporary directory; nothing of the repository is changed). The steps, in the README's order:
  $ALL_STEPS
--steps runs the given steps in the given order instead (to prove that an order the README does not give fails);
--keep keeps the scratch directory and prints its path.

Exit: 0 every step passed; 1 a step failed (named on stderr); 2 usage."
die() { echo "error: $1" >&2; exit 2; }
steps="$ALL_STEPS" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --steps) [ $# -ge 2 ] || die "--steps needs a value"; steps="${2//,/ }"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
for s in $steps; do [[ " $ALL_STEPS " == *" $s "* ]] || die "unknown step '$s'; steps: $ALL_STEPS"; done

work="$(mktemp -d -t gumstack-rehearsal.XXXXXX)"
[ -n "$keep" ] && echo "rehearsal directory: $work" >&2 || trap 'rm -rf "$work"' EXIT
export REHEARSAL_STATE="$work/state" PATH="$root/test/rehearsal/bin:$PATH"
mkdir -p "$REHEARSAL_STATE" "$work/repo"

# The scratch copy: stack files and bootstrap/ copied (the steps write them), scripts/ and the rest linked, the CLI
# bundles built here and copied (a CLI run through a link would see another path than its own and do nothing); a
# git checkout with one commit, as a fresh clone is (publish-platform-images.sh tags by commit, on a clean tree).
(cd "$root" && node scripts/build.mjs)
for entry in "$root"/* "$root"/.gitignore; do
  name="${entry##*/}"
  case "$name" in
    Pulumi.*.yaml|.gitignore) cp "$entry" "$work/repo/" ;; # git reads no .gitignore through a link
    bootstrap) mkdir "$work/repo/bootstrap" && cp "$entry"/*.ts "$entry"/*.yaml "$work/repo/bootstrap/" ;;
    scripts) mkdir "$work/repo/scripts" && for f in "$entry"/*; do ln -s "$f" "$work/repo/scripts/${f##*/}"; done ;;
    *) ln -s "$entry" "$work/repo/$name" ;;
  esac
done
mkdir -p "$work/repo/.build" && cp -R "$root/.build/cli" "$work/repo/.build/cli"
git_() { git -C "$work/repo" -c user.name=rehearsal -c user.email=rehearsal@example.invalid "$@"; }
commit() { git_ add -A . && { git_ diff --cached --quiet || git_ commit -q -m "$1"; }; }
git_ init -q && commit "a fresh clone"
# The backend's own repository (README: --context), with a Dockerfile, as a git checkout (the tag is its commit).
mkdir "$work/backend" && printf 'FROM scratch\nCOPY app /app\n' >"$work/backend/Dockerfile" && echo backend >"$work/backend/app"
git -C "$work/backend" init -q && git -C "$work/backend" add -A &&
  git -C "$work/backend" -c user.name=rehearsal -c user.email=rehearsal@example.invalid commit -q -m backend
cd "$work/repo"
# The customer added and offboarded: globex, or globex2, globex3, ... if a stack file of this checkout already
# names it (a user who followed the README's example with globex must not turn the rehearsal red: "already exists").
customer=globex n=1
while [ -e "Pulumi.enterprise-$customer.yaml" ] || grep -qsw -- "$customer" Pulumi.*.yaml; do
  n=$((n + 1)) customer="globex$n"
done

release() { (cd bootstrap && pulumi stack output releaseServiceAccount --stack admin); }
provider() { (cd bootstrap && pulumi stack output secretsProvider --stack admin); }
# <region>-docker.pkg.dev/<project>/<repositoryId or mcp-<environment>> of a stack file.
tenant_repo() {
  node --input-type=module -e '
    import { readFileSync } from "node:fs"; import { parse } from "yaml";
    const c = parse(readFileSync(process.argv[1], "utf8")).config;
    const repo = c["gumstack:artifactRegistry"]?.repositoryId ?? `mcp-${c["gumstack:environment"]}`;
    console.log(`${c["gumstack:region"]}-docker.pkg.dev/${c["gumstack:project"]}/${repo}`);' "Pulumi.$1.yaml"
}
image_of() { [ -f "$work/platform-images" ] && sed -n "s/^$1 //p" "$work/platform-images"; }

# README Bootstrap steps 1-2: credentials before any state backend; the APIs Pulumi needs to enable the others.
step_credentials() {
  gcloud auth login
  gcloud auth application-default login
  gcloud services enable serviceusage.googleapis.com cloudresourcemanager.googleapis.com --project gumstack-prod
}
# README Bootstrap step 5, verbatim: local state until the bucket exists, then moved into it.
step_bootstrap() {
  cd bootstrap
  export PULUMI_CONFIG_PASSPHRASE=bootstrap-only
  pulumi login "file://$PWD/.state"
  pulumi stack init admin --secrets-provider passphrase
  pulumi up --stack admin --yes
  pulumi stack export --stack admin --file admin.export.json
  pulumi login "$(pulumi stack output stateBackend --stack admin)"
  pulumi stack init admin --secrets-provider passphrase && pulumi stack import --stack admin --file admin.export.json
  pulumi stack change-secrets-provider --stack admin "$(pulumi stack output secretsProvider --stack admin)"
  pulumi preview --stack admin
  rm -rf .state admin.export.json && cd ..
}
# Bootstrap step 6: the stack with the KMS secrets provider and its secret, committed, before anything is published.
step_stack() {
  pulumi login "$(cd bootstrap && pulumi stack output stateBackend --stack admin)"
  pulumi stack init prod --secrets-provider "$(provider)"
}
step_secret() {
  pulumi config set --secret gumstack:clickhousePassword 'rehearsal-password' --stack prod
  commit "prod: KMS secrets provider and ClickHouse password"
}
# Bootstrap step 7: the backend image, pushed as the release identity and pinned by digest.
step_backend() {
  scripts/publish-backend.sh --stack prod --context "$work/backend" --impersonate "$(release)"
  commit "prod: backend pinned"
}
# Bootstrap step 8: builder and canary built from their recipes into the platform-images repository; the
# builder's digest pinned at its place in the tenant repository.
step_platform-images() {
  scripts/publish-platform-images.sh --stack prod --impersonate "$(release)" >"$work/platform-images"
  local builder
  builder="$(image_of builder)"
  [ -n "$builder" ] && [ -n "$(image_of canary)" ] || { echo "publish-platform-images.sh printed no builder or canary line" >&2; return 1; }
  pulumi config set --path gumstack:build.builderImage "$(tenant_repo prod)/gumstack-build/builder@${builder##*@}" --stack prod
  commit "prod: builder pinned"
}
# Deploying for real step 1.
step_first-up() { scripts/deploy.sh prod up -- --yes; }
# Deploying for real step 2: the records at the DNS provider, then the certificate goes ACTIVE.
step_dns() {
  pulumi stack output dnsRecords --stack prod --json | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      for (const r of JSON.parse(s)) console.log(`${r.name} ${r.type} ${r.value}`);
    });' | while read -r name type value; do
    gcloud dns record-sets create "$name" --type "$type" --rrdatas "$value" --zone your-dns-provider
  done
  [ "$(eval "$(pulumi stack output certificateStatusCommand --stack prod)")" = ACTIVE ] || { echo "the certificate is not ACTIVE" >&2; return 1; }
}
# Deploying for real step 3: the copies into the tenant repository the first up created, the canary on, second up.
step_copy-images() {
  local name
  for name in builder canary; do
    [ -n "$(image_of "$name")" ] || { echo "no published $name image (run platform-images first)" >&2; return 1; }
    scripts/publish-platform-image.sh --stack prod --image "$name" --source "$(image_of "$name")" --impersonate "$(release)" --set
  done
  commit "prod: builder and canary copied"
}
step_canary-on() {
  pulumi config set --path gumstack:canary.enabled true --stack prod
  commit "prod: canary on"
}
step_second-up() { scripts/deploy.sh prod up -- --yes; }
# README "Adding an enterprise customer".
step_customer() {
  local builder
  builder="$(image_of builder)"
  npm run -s new-enterprise -- --customer "$customer" --billing-account 01A2B3-C4D5E6-F7A8B9 --folder 123456789012
  pulumi stack init enterprise-$customer --secrets-provider "$(provider)"
  pulumi config set --secret gumstack:clickhousePassword "rehearsal-$customer" --stack enterprise-$customer
  pulumi config set --path gumstack:backend.image "$(pulumi config get --path gumstack:backend.image --stack prod)" --stack enterprise-$customer
  pulumi config set --path gumstack:build.builderImage "$(tenant_repo enterprise-$customer)/gumstack-build/builder@${builder##*@}" --stack enterprise-$customer
  commit "enterprise-$customer"
  scripts/deploy.sh enterprise-$customer up -- --yes
  scripts/deploy.sh prod up -- --yes # the customer's label, reserved in prod by new-enterprise
  scripts/publish-platform-image.sh --stack enterprise-$customer --image builder --source "$builder" --impersonate "$(release)" --set
  commit "enterprise-$customer: builder copied"
}
# README "Offboarding an enterprise customer" / "Tearing down".
step_offboard() {
  pulumi config set gumstack:allowDestroy true --stack enterprise-$customer
  scripts/deploy.sh enterprise-$customer up -- --yes
  pulumi state unprotect --all --stack enterprise-$customer --yes
  pulumi destroy --stack enterprise-$customer --yes
  pulumi stack rm enterprise-$customer --yes
  rm Pulumi.enterprise-$customer.yaml
  commit "enterprise-$customer offboarded"
}

for s in $steps; do
  echo "== $s" >&2
  # Each step in a subshell with errexit: its first failing command ends it.
  set +e
  (set -e; "step_$s") >&2
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { echo "rehearsal failed at step '$s' (exit $rc)" >&2; exit 1; }
done
echo "rehearsal passed: $steps"
