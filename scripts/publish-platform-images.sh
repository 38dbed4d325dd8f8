#!/usr/bin/env bash
# Builds the platform images this repository holds the recipes of (the builder of the build plane,
# images/builder/Containerfile; the isolation canary, canary/Dockerfile) with buildah, pushes each AS THE RELEASE
# IDENTITY to the platform-images repository (created by bootstrap/, immutable tags) under the tag of the git
# commit, reads the digest back and prints the <repository>/<name>@sha256:<digest> references that
# scripts/publish-platform-image.sh copies into each stack's tenant repository. docs/platform-images.md.
# Every precondition is checked before anything is built or pushed.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/publish-platform-images.sh (--stack <name> | --repository <platform images url>)
         [--image builder|canary]... [--impersonate <release SA email>] [--tag <tag>] [--config-file <stack file>]
         [--builder-base <image>@sha256:<digest>] [--canary-base <image>@sha256:<digest>]

Builds images/builder (builder) and canary/ (canary), both unless --image names one, with buildah (chroot
isolation, file timestamps set to the commit's time), pushes <repository>/<name>:<tag> with an access token of the
release identity (your gcloud credentials impersonating --impersonate, or the identity CI authenticated as), checks
that the registry serves the pushed digest under the tag and by digest, and prints one line per image:
  <name> <repository>/<name>@sha256:<digest>
The repository defaults to gumstack:platformImages.repository of the stack file (Pulumi.<stack>.yaml); the tag to
the full git commit, and the recipes (images/builder, canary/) must be committed as they are, so the tag names
exactly what was built. The
bases default to the digests pinned in the recipes; an override must be pinned by digest too. A loopback
repository (127.0.0.1:<port>/<path> or localhost:<port>/<path>) is spoken to over plain HTTP, for a rehearsal
against a local registry; nothing else is.

Before building anything it checks: buildah, skopeo, git and gcloud are installed; the recipes are committed; the release
identity's token can be had; and no tag to push exists yet (tags are immutable there).

Exit: 0 published; 1 a tag already exists, or a build, push or read-back failed; 2 usage, missing tool or
configuration, uncommitted recipes, or no credentials."
die() { echo "error: $1" >&2; exit 2; }
fail() { echo "error: $1" >&2; exit 1; }
stack="" repository="" impersonate="" tag="" config_file="" builder_base="" canary_base="" images=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) echo "$usage"; exit 0 ;;
    --stack|--repository|--impersonate|--tag|--config-file|--builder-base|--canary-base|--image)
      [ $# -ge 2 ] || die "$1 needs a value (see --help)"
      v="$2"
      case "$1" in
        --stack) stack="$v" ;; --repository) repository="$v" ;; --impersonate) impersonate="$v" ;; --tag) tag="$v" ;;
        --config-file) config_file="$v" ;; --builder-base) builder_base="$v" ;; --canary-base) canary_base="$v" ;;
        --image)
          case "$v" in builder|canary) ;; *) die "--image must be builder or canary (got '$v')" ;; esac
          images+=("$v") ;;
      esac
      shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ "${#images[@]}" -gt 0 ] || images=(builder canary)

# --- preconditions, none with a side effect ------------------------------------------------------------------
for tool in buildah skopeo git gcloud; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (needed to build, push and authenticate; docs/platform-images.md)"
done
if [ -z "$repository" ]; then
  [ -n "$stack" ] || die "--stack or --repository is required (see --help)"
  file="${config_file:-Pulumi.$stack.yaml}"
  [ -f "$file" ] || die "no stack '$stack': $file does not exist; stacks here: $(ls Pulumi.*.yaml 2>/dev/null | sed 's/^Pulumi\.//; s/\.yaml$//' | LC_ALL=C sort | paste -sd, - | sed 's/,/, /g')"
  command -v node >/dev/null 2>&1 || die "node is not installed (it reads $file; or pass --repository)"
  repository="$(node --input-type=module -e '
    import { readFileSync } from "node:fs"; import { parse } from "yaml";
    const c = parse(readFileSync(process.argv[1], "utf8"))?.config ?? {};
    process.stdout.write(String(c["gumstack:platformImages"]?.repository ?? c["gumstack:platformImages.repository"] ?? ""));
  ' "$file")"
  [ -n "$repository" ] || die "$file has no gumstack:platformImages.repository: set it to the bootstrap's platformImagesRepository output (cd bootstrap && pulumi stack output platformImagesRepository), or pass --repository"
fi
tls=()
if [[ "$repository" =~ ^[a-z0-9-]+-docker\.pkg\.dev/[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z0-9._-]+$ ]]; then
  :
elif [[ "$repository" =~ ^(127\.0\.0\.1|localhost):[0-9]{1,5}/[a-z0-9._/-]*[a-z0-9]$ ]]; then
  tls=(--tls-verify=false) # loopback only: a local registry for a rehearsal speaks plain HTTP
else
  die "platform images repository '$repository' is not <region>-docker.pkg.dev/<project>/<repository> (or a loopback registry)"
fi
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$(pwd) is not a git checkout: the tag is the commit of the recipes"
# The recipes and their contexts, exactly as committed (other files, such as a stack file the previous README step
# changed, do not go into any image).
dirty="$(git status --porcelain --untracked-files=normal -- images/builder canary scripts/publish-platform-images.sh)"
[ -z "$dirty" ] || die "the recipes are not committed ($(printf '%s\n' "$dirty" | head -n 3 | sed 's/^...//' | paste -sd, - | sed 's/,/, /g')): commit or stash, so the tag names what is built"
[ -n "$tag" ] || tag="$(git rev-parse HEAD)"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] && [ "$tag" != latest ] || die "--tag '$tag' is not a Docker tag (or is 'latest', which the stacks refuse)"
epoch="$(git log -1 --format=%ct)"

# The recipe, its context, its base ARG and the base to use, per image.
recipe() {
  case "$1" in
    builder) echo "images/builder/Containerfile images/builder BASE ${builder_base}" ;;
    canary) echo "canary/Dockerfile canary NODE_IMAGE ${canary_base}" ;;
  esac
}
declare -A base_of
for name in "${images[@]}"; do
  read -r file_ context arg base < <(recipe "$name")
  [ -f "$file_" ] || die "$file_ does not exist"
  # The recipe's own pin unless overridden; either way a digest, never a tag that could move.
  [ -n "$base" ] || base="$(sed -n "s/^ARG $arg=//p" "$file_" | head -n 1)"
  [[ "$base" =~ ^[a-z0-9.:-]+(/[a-z0-9._-]+)+(:[A-Za-z0-9_.-]+)?@sha256:[0-9a-f]{64}$ ]] ||
    die "the $name base '$base' is not pinned by digest (<image>@sha256:<64 hex>)"
  base_of[$name]="$base"
done

# The release identity's short-lived token, never a key: https://cloud.google.com/artifact-registry/docs/docker/authentication#token
token="$(gcloud auth print-access-token ${impersonate:+--impersonate-service-account="$impersonate"})" ||
  die "no access token for the release identity (gcloud auth print-access-token${impersonate:+ --impersonate-service-account=$impersonate}); run gcloud auth login, and be one of gumstack-bootstrap:releasers"
[ -n "$token" ] || die "gcloud printed an empty access token"
creds="oauth2accesstoken:$token"

# Tags are immutable in the platform-images repository: a tag that exists is refused now, not after a build.
for name in "${images[@]}"; do
  ref="$repository/$name:$tag"
  if out="$(skopeo inspect --raw "${tls[@]}" --creds "$creds" "docker://$ref" 2>&1 >/dev/null)"; then
    existing="sha256:$(skopeo inspect --raw "${tls[@]}" --creds "$creds" "docker://$ref" | sha256sum | cut -d' ' -f1)"
    fail "$ref is already published ($existing) and tags are immutable: publish a new commit, or name only the other image with --image"
  fi
  case "$out" in
    *"manifest unknown"*|*"name unknown"*|*"not found"*|*"NOT_FOUND"*) ;;
    *) die "cannot read $repository as the release identity: $(printf '%s' "$out" | tail -n 1)" ;;
  esac
done

# --- build, push, read back ----------------------------------------------------------------------------------
for name in "${images[@]}"; do
  read -r file_ context arg _ < <(recipe "$name")
  local_ref="localhost/gumstack-platform/$name:$tag"
  echo "building $name from $file_ on ${base_of[$name]}" >&2
  buildah bud --isolation "${BUILDAH_ISOLATION:-chroot}" --layers=false --format oci --timestamp "$epoch" \
    --build-arg "$arg=${base_of[$name]}" --file "$file_" --tag "$local_ref" "$context" >&2 ||
    fail "buildah build of $name ($file_) failed"
  digestfile="$(mktemp)"
  buildah push "${tls[@]}" --creds "$creds" --digestfile "$digestfile" "$local_ref" "docker://$repository/$name:$tag" >&2 ||
    fail "push of $repository/$name:$tag failed (is this the release identity? it is the only writer)"
  digest="$(cat "$digestfile")"; rm -f "$digestfile"
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "buildah reported '$digest' for the digest of $repository/$name:$tag"
  # A digest is the sha256 of the manifest bytes: hash what the registry serves, under the tag and by digest.
  # Piped, not captured: command substitution would drop trailing newlines and change the hash.
  for ref in "$repository/$name:$tag" "$repository/$name@$digest"; do
    sum="$(skopeo inspect --raw "${tls[@]}" --creds "$creds" "docker://$ref" | sha256sum)" || fail "cannot read back $ref"
    [ "sha256:${sum%% *}" = "$digest" ] || fail "$ref is served with digest sha256:${sum%% *}, not the pushed $digest"
  done
  echo "$name $repository/$name@$digest"
  echo "next: scripts/publish-platform-image.sh --stack <stack> --image $name --source $repository/$name@$digest${impersonate:+ --impersonate $impersonate} --set" >&2
done
