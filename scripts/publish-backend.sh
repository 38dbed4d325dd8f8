#!/usr/bin/env bash
# Builds the backend image, pushes it AS THE RELEASE IDENTITY (the only writer of the platform-images
# repository, created by bootstrap/), and pins the stack to its digest: gumstack:backend.image =
# <gumstack:platformImages.repository>/backend@sha256:<digest>. Tags are immutable there: a tag is pushed once.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/publish-backend.sh --stack <name> --context <backend source dir> [--tag <tag>]
         [--repository <platform images url>] [--config-file <stack file>] [--impersonate <release SA email>]

Builds <context> with docker, pushes <repository>/backend:<tag> with an access token of the release identity
(your gcloud credentials impersonating --impersonate, or the identity CI authenticated as), reads the pushed
digest back from Artifact Registry and sets gumstack:backend.image to <repository>/backend@<digest> with
pulumi config set --path. The repository defaults to gumstack:platformImages.repository of the stack file;
the tag to the context's git commit.

Exit: 0 published and pinned; 1 a build, push or lookup failed; 2 usage or missing configuration."
die() { echo "error: $1" >&2; exit 2; }
fail() { echo "error: $1" >&2; exit 1; }
stack="" context="" tag="" repository="" config_file="" impersonate=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --stack|--context|--tag|--repository|--config-file|--impersonate)
      [ $# -ge 2 ] || die "$1 needs a value (see --help)"
      v="$2"; case "$1" in --stack) stack="$v" ;; --context) context="$v" ;; --tag) tag="$v" ;; --repository) repository="$v" ;; --config-file) config_file="$v" ;; --impersonate) impersonate="$v" ;; esac
      shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$stack" ] || die "--stack is required (see --help)"
. scripts/preconditions.sh
require_tools docker gcloud pulumi node
[ -n "$context" ] || die "--context is required: the backend's source directory with its Dockerfile"
[ -d "$context" ] || die "--context: $context is not a directory"
file="${config_file:-Pulumi.$stack.yaml}"
[ -f "$file" ] || die "no stack '$stack': $file does not exist; stacks here: $(ls Pulumi.*.yaml 2>/dev/null | sed 's/^Pulumi\.//; s/\.yaml$//' | LC_ALL=C sort | paste -sd, - | sed 's/,/, /g')"
if [ -z "$repository" ]; then
  # The stack file's gumstack:platformImages.repository (a map key or a flat dotted key).
  repository="$(node --input-type=module -e '
    import { readFileSync } from "node:fs"; import { parse } from "yaml";
    const c = parse(readFileSync(process.argv[1], "utf8"))?.config ?? {};
    process.stdout.write(String(c["gumstack:platformImages"]?.repository ?? c["gumstack:platformImages.repository"] ?? ""));
  ' "$file")"
  [ -n "$repository" ] || die "$file has no gumstack:platformImages.repository: set it to the bootstrap's platformImagesRepository output (cd bootstrap && pulumi stack output platformImagesRepository), or pass --repository"
fi
[[ "$repository" =~ ^([a-z0-9-]+-docker\.pkg\.dev)/[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z0-9._-]+$ ]] ||
  die "platform images repository '$repository' is not <region>-docker.pkg.dev/<project>/<repository>"
host="${BASH_REMATCH[1]}"
if [ -z "$tag" ]; then
  tag="$(git -C "$context" rev-parse --short=12 HEAD 2>/dev/null)" || die "--tag is required: $context is not a git checkout"
fi
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] && [ "$tag" != latest ] || die "--tag '$tag' is not a Docker tag (or is 'latest', which the stacks refuse)"
image="$repository/backend"

# Preconditions, before any side effect (no login, build or push yet): pulumi can pin the digest into this stack
# (logged in, the stack exists: else pulumi config set would fail, or offer to create the stack with the default
# secrets provider, after the push), and the tag is not in the repository already (its tags are immutable: a
# push of other bytes under it is refused, https://cloud.google.com/artifact-registry/docs/repositories/update-repo-settings).
require_pulumi_login
require_stack "$stack"
if existing="$(gcloud artifacts docker images describe "$image:$tag" --format='value(image_summary.digest)' ${impersonate:+--impersonate-service-account="$impersonate"} </dev/null 2>/dev/null)" && [ -n "$existing" ]; then
  die "$image:$tag is already in the platform-images repository ($existing) and its tags are immutable: pin it with pulumi config set --path gumstack:backend.image $image@$existing --stack $stack, or publish another commit (--tag)"
fi

# The release identity's token, never a long-lived key: https://cloud.google.com/artifact-registry/docs/docker/authentication#token
token="$(gcloud auth print-access-token ${impersonate:+--impersonate-service-account="$impersonate"})" || fail "no access token for the release identity (gcloud auth print-access-token${impersonate:+ --impersonate-service-account=$impersonate})"
printf '%s' "$token" | docker login -u oauth2accesstoken --password-stdin "https://$host" >/dev/null || fail "docker login to $host failed"
docker build -t "$image:$tag" "$context" || fail "docker build of $context failed"
docker push "$image:$tag" || fail "docker push of $image:$tag failed (is this the release identity? it is the only writer)"
digest="$(gcloud artifacts docker images describe "$image:$tag" --format='value(image_summary.digest)' ${impersonate:+--impersonate-service-account="$impersonate"})" || fail "cannot read the digest of $image:$tag"
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "Artifact Registry answered '$digest' for the digest of $image:$tag, not sha256:<64 hex>"
pulumi config set --path gumstack:backend.image "$image@$digest" --stack "$stack" ${config_file:+--config-file "$config_file"} ||
  fail "pulumi config set failed; set it by hand: pulumi config set --path gumstack:backend.image $image@$digest --stack $stack"
echo "gumstack:backend.image = $image@$digest (stack $stack)"
