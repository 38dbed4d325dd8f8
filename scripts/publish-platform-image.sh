#!/usr/bin/env bash
# Copies a platform image the MCP pool runs (the builder of the build plane, the isolation canary) from the
# platform-images repository into its reserved path of a stack's tenant MCP repository, AS THE RELEASE IDENTITY,
# unchanged and with the same digest, and prints the config value to set. The MCP pool's nodes can read only the
# tenant repository (docs/build-plane.md), so this copy is what build pods and the canary pull.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/publish-platform-image.sh --stack <name> --image builder|canary --source <platform image>@sha256:<digest>
         [--config-file <stack file>] [--tenant-repository <url>] [--impersonate <release SA email>] [--set]

Copies <source> (by digest, from gumstack:platformImages.repository) to
  builder: <tenant repository>/gumstack-build/builder:sha256-<hex>   (gumstack:build.builderImage)
  canary:  <tenant repository>/gumstack-canary/canary:sha256-<hex>   (gumstack:canary.image)
with skopeo copy --all --preserve-digests (the copy keeps the source's digest or fails), checks the digest the
tenant repository reports, and prints the key and value to set; --set also runs pulumi config set --path.
The tenant repository defaults to <gumstack:region>-docker.pkg.dev/<gumstack:project>/<repositoryId or
mcp-<environment>> of the stack file; it exists after the stack's first deployment, which also grants the release
identity (gumstack:platformImages.releaseIdentity) artifactregistry.writer on it.

Exit: 0 copied (and pinned with --set); 1 the copy or the digest check failed; 2 usage or missing configuration."
die() { echo "error: $1" >&2; exit 2; }
fail() { echo "error: $1" >&2; exit 1; }
stack="" image="" source="" config_file="" tenant_repository="" impersonate="" set_config=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --set) set_config=1; shift ;;
    --stack|--image|--source|--config-file|--tenant-repository|--impersonate)
      [ $# -ge 2 ] || die "$1 needs a value (see --help)"
      v="$2"; case "$1" in --stack) stack="$v" ;; --image) image="$v" ;; --source) source="$v" ;; --config-file) config_file="$v" ;; --tenant-repository) tenant_repository="$v" ;; --impersonate) impersonate="$v" ;; esac
      shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$stack" ] || die "--stack is required (see --help)"
case "$image" in
  builder) path="gumstack-build/builder" key="gumstack:build.builderImage" ;;
  canary) path="gumstack-canary/canary" key="gumstack:canary.image" ;;
  *) die "--image must be builder or canary (got '${image}')" ;;
esac
file="${config_file:-Pulumi.$stack.yaml}"
[ -f "$file" ] || die "no stack '$stack': $file does not exist"
# platformImages.repository and the tenant repository's parts, from the stack file (map keys or flat dotted keys).
read -r platform derived < <(node --input-type=module -e '
  import { readFileSync } from "node:fs"; import { parse } from "yaml";
  const c = parse(readFileSync(process.argv[1], "utf8"))?.config ?? {};
  const get = (ns, k) => c[`gumstack:${ns}`]?.[k] ?? c[`gumstack:${ns}.${k}`];
  const platform = get("platformImages", "repository") ?? "-";
  const [region, project, env] = [c["gumstack:region"], c["gumstack:project"], c["gumstack:environment"]];
  const repo = get("artifactRegistry", "repositoryId") ?? (env ? `mcp-${env}` : undefined);
  process.stdout.write(`${platform} ${region && project && repo ? `${region}-docker.pkg.dev/${project}/${repo}` : "-"}\n`);
' "$file")
[ "$platform" != "-" ] || die "$file has no gumstack:platformImages.repository"
[ -n "$tenant_repository" ] || tenant_repository="$derived"
[ "$tenant_repository" != "-" ] || die "$file lacks gumstack:region, gumstack:project or gumstack:environment to name the tenant repository; pass --tenant-repository"
[[ "$tenant_repository" =~ ^[a-z0-9-]+-docker\.pkg\.dev/[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z0-9._-]+$ ]] ||
  die "tenant repository '$tenant_repository' is not <region>-docker.pkg.dev/<project>/<repository>"
[ "$tenant_repository" != "$platform" ] || die "the tenant repository is the platform-images repository ($platform)"
# Only a digest names the bytes the release identity published; a tag could have moved.
[[ "$source" =~ ^"$platform"/[a-z0-9._/-]+@(sha256:[0-9a-f]{64})$ ]] ||
  die "--source must be an image of $platform pinned by digest (<name>@sha256:<64 hex>), got '${source}'"
digest="${BASH_REMATCH[1]}"
dest="$tenant_repository/$path:sha256-${digest#sha256:}"

# Preconditions, before any side effect: the tools; with --set, pulumi logged in and the stack existing (else the
# pin would fail after the copy, or pulumi would offer to create the stack); and the tenant repository existing,
# which only the stack's first up creates (with the release identity's writer grant on it).
. scripts/preconditions.sh
require_tools gcloud skopeo sha256sum node ${set_config:+pulumi}
if [ -n "$set_config" ]; then require_pulumi_login; require_stack "$stack"; fi
IFS=/ read -r t_host t_project t_repo <<<"$tenant_repository"
gcloud artifacts repositories describe "$t_repo" --project "$t_project" --location "${t_host%-docker.pkg.dev}" --format='value(name)' \
  ${impersonate:+--impersonate-service-account="$impersonate"} </dev/null >/dev/null 2>&1 ||
  die "the tenant repository $tenant_repository does not exist (or this identity cannot read it): the stack's first up creates it, scripts/deploy.sh $stack up"

# The release identity's short-lived token, never a key (https://cloud.google.com/artifact-registry/docs/docker/authentication#token).
token="$(gcloud auth print-access-token ${impersonate:+--impersonate-service-account="$impersonate"})" || fail "no access token for the release identity"
creds="oauth2accesstoken:$token"
# --preserve-digests: skopeo refuses to copy rather than change the image (and so its digest); --all keeps a
# multi-arch index whole (skopeo-copy(1), https://github.com/containers/skopeo/blob/main/docs/skopeo-copy.1.md).
skopeo copy --all --preserve-digests --src-creds "$creds" --dest-creds "$creds" "docker://$source" "docker://$dest" ||
  fail "skopeo copy $source -> $dest failed (is this the release identity, and has the stack been deployed once so $tenant_repository exists?)"
# A digest is the sha256 of the manifest bytes: hash what the tenant repository now serves for the copy.
# Piped, not captured: command substitution would drop trailing newlines of the manifest and change its hash.
sum="$(skopeo inspect --raw --creds "$creds" "docker://$dest" | sha256sum)" || fail "cannot read back the manifest of $dest"
copied="sha256:${sum%% *}"
[ "$copied" = "$digest" ] || fail "$dest has digest '$copied', not the source's $digest: not pinning it"
value="$tenant_repository/$path@$digest"
if [ -n "$set_config" ]; then
  pulumi config set --path "$key" "$value" --stack "$stack" ${config_file:+--config-file "$config_file"} ||
    fail "pulumi config set failed; set it by hand: pulumi config set --path $key $value --stack $stack"
fi
echo "$key = $value (stack $stack, copied from $source)"
