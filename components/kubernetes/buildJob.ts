// One customer build = one Kubernetes Job, created by the backend at run time in the build namespace. This file
// is the contract between the platform and the backend: a pure function that returns the Job and the two
// per-build Secrets, which the backend mirrors (or calls) and the tests hold against the build admission guard.
//
// The pod (docs/build-plane.md has the why and the sources):
//   init `fetch` (trusted, non-root): clones the commit with the GitHub App installation token read from a
//        Secret mounted only here, through a credential helper (never written to .git/config), checks HEAD is
//        the requested SHA and deletes .git, so no token and no git metadata reach the build context.
//   init `build` (UNTRUSTED: the customer's Dockerfile runs here): buildah, chroot isolation, vfs storage,
//        root inside the gVisor sandbox with a fixed capability set and NO credential of any kind; writes an
//        OCI layout to an emptyDir.
//   `push` (trusted, non-root): copies that layout to `<tenant repo>/<tenant>/<server>:<git sha>` with a
//        short-lived token of the pusher service account, from a Secret mounted only here; writes the pushed
//        digest to its termination message, where the backend reads it.
// Kubernetes starts `push` only after every init container exited successfully, so the untrusted step is gone
// before the push credential is mounted into any container.

import { RESERVED_PLATFORM_TENANTS } from "./platformTenants.js";
import { GKE_SANDBOX_RUNTIME_CLASS } from "./gkeSandbox.js";

/** Names of the pod's containers; the admission guard lets only FETCH and PUSH mount Secrets. */
export const BUILD_CONTAINERS = { fetch: "fetch", build: "build", push: "push" } as const;
/** Where each credential is mounted, in its one container. */
export const GIT_TOKEN_DIR = "/var/run/gumstack/git";
export const PUSH_AUTH_DIR = "/var/run/gumstack/push";
/** The Secret keys: an installation token (plain text) and a Docker config (kubernetes.io/dockerconfigjson). */
export const GIT_TOKEN_KEY = "token";
export const PUSH_AUTH_KEY = ".dockerconfigjson";
/** Labels the backend sets on every build Job and its pod; the tenant label is the platform-wide one. */
export const TENANT_LABEL = "gumstack.com/tenant";
export const BUILD_LABEL = "gumstack.com/build";
export const SERVER_LABEL = "gumstack.com/server";
/** The builds' PriorityClass (BuildNamespace creates it): below every class-less pod, never preempting. */
export const BUILD_PRIORITY_CLASS = { name: "gumstack-build", value: -1000 } as const;
/** Tenant ids a build never takes: the platform's paths of the tenant repository all start with it. */
export const RESERVED_TENANT_PREFIX = "gumstack-";
/** Non-root uid of the fetch and push steps (the builder image's unprivileged user). */
export const BUILD_STEP_UID = 65532;
/**
 * Capabilities of the untrusted build container, all of them inside the gVisor sandbox (the Sentry's own, never
 * the node kernel's): containerd's default set minus NET_RAW, plus SYS_ADMIN, which buildah's chroot isolation
 * needs for its mount namespace. Measured with runsc (test/build/sandbox.test.ts, docs/build-plane.md).
 */
export const BUILDER_CAPABILITIES = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "SETFCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "MKNOD",
  "AUDIT_WRITE",
  "SYS_ADMIN",
] as const;

/** CPU, memory and ephemeral-storage of one container (requests = limits: a build gets what it is promised). */
export interface StepResources {
  /** CPU, a Kubernetes quantity such as "2" or "500m". */
  readonly cpu: string;
  /** Memory, such as "4Gi". */
  readonly memory: string;
  /** Ephemeral storage (writable layer and logs), such as "2Gi". */
  readonly ephemeralStorage: string;
}

/** Defaults of the platform's side of a build (config `gumstack:build`). */
export const BUILD_DEFAULTS = {
  namespace: "gumstack-build",
  serviceAccountName: "builder",
  gitHost: "github.com",
  runtimeClassName: GKE_SANDBOX_RUNTIME_CLASS,
  deadlineSeconds: 600,
  ttlSecondsAfterFinished: 300,
  build: { cpu: "2", memory: "4Gi", ephemeralStorage: "20Gi" },
  /** The build namespace's ResourceQuota (BuildNamespace): builds at once and their limits together. */
  maxConcurrentBuilds: 20,
  /**
   * The backend contract: builds one tenant may run at once (the namespace quota is shared by every tenant, so a
   * tenant past this waits in the backend's queue), and never two of one server (a new one cancels the older).
   */
  maxBuildsPerTenant: 2,
  quota: { cpu: "50", memory: "100Gi", ephemeralStorage: "600Gi" },
  step: { cpu: "500m", memory: "512Mi", ephemeralStorage: "1Gi" },
  workspaceSize: "2Gi",
  storageSize: "12Gi",
  layoutSize: "4Gi",
} as const;

/** The platform's half of a build: fixed per stack, from config. */
export interface BuildPlatform {
  /** Build namespace. Default "gumstack-build". */
  readonly namespace?: string;
  /** ServiceAccount of build pods (no token, no Workload Identity). Default "builder". */
  readonly serviceAccountName?: string;
  /** RuntimeClass of build pods (GKE Sandbox's). Default "gvisor". */
  readonly runtimeClassName?: string;
  /** The one host builds clone from (GIT_URL's host, the credential helper's scope). Default "github.com". */
  readonly gitHost?: string;
  /** Builder image (git, buildah, skopeo), `<platform-images repo>/<name>@sha256:<digest>`. Required. */
  readonly builderImage: string;
  /** Hard deadline of the whole build, seconds, 60-600 (the seed's 10 minutes). Default 600. */
  readonly deadlineSeconds?: number;
  /** Seconds a finished Job (and its Secrets, its pod, its emptyDirs) survives, 0-3600. Default 300. */
  readonly ttlSecondsAfterFinished?: number;
  /**
   * Resources of the build container. Its ephemeral storage is the pod's (init containers run alone), and the
   * kubelet counts the emptyDirs against it, so it must hold the three emptyDirs. Default 2 CPU, 4Gi, 20Gi.
   */
  readonly buildResources?: StepResources;
  /** Resources of the fetch and push containers. Default 500m, 512Mi, 1Gi. */
  readonly stepResources?: StepResources;
  /** Size limit of the source checkout emptyDir. Default "2Gi". */
  readonly workspaceSize?: string;
  /** Size limit of buildah's image storage emptyDir. Default "12Gi". */
  readonly storageSize?: string;
  /** Size limit of the OCI layout emptyDir handed from build to push. Default "4Gi". */
  readonly layoutSize?: string;
}

/** The backend's half: one build request. */
export interface BuildRequest {
  /** Build id, unique per build: a DNS label of at most 40 characters (the Job is `build-<id>`). Required. */
  readonly buildId: string;
  /** Tenant id (the `gumstack.com/tenant` label and the first image path segment). Required. */
  readonly tenantId: string;
  /** MCP server name (the image name under the tenant). Required. */
  readonly server: string;
  /** HTTPS clone URL, no credentials in it. Required. */
  readonly gitUrl: string;
  /** Full 40-hex commit SHA: the commit built and the image tag. Required. */
  readonly gitSha: string;
  /** Repository is private: mount the installation-token Secret into `fetch`. Default true. */
  readonly privateRepository?: boolean;
  /** Dockerfile path relative to the repository root. Default "Dockerfile". */
  readonly dockerfile?: string;
  /** Build context directory relative to the repository root. Default ".". */
  readonly context?: string;
  /** The stack's tenant MCP repository, `<region>-docker.pkg.dev/<project>/<repo>`. Required. */
  readonly imageRepository: string;
}

export interface BuildSecretInput {
  /** The Job as created (name and uid), the Secrets' owner: deleting the Job (or its TTL) deletes them. */
  readonly job: { readonly name: string; readonly uid: string };
  /** GitHub App installation token (read-only contents scope); omit for a public repository. */
  readonly gitToken?: string;
  /** Access token minted for the pusher service account (generateAccessToken, lifetime <= the deadline). */
  readonly pushToken: string;
}

type Obj = Record<string, any>;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/;
const REL_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._\/-]{1,255}$/;
/** `<registry host>/<path>@sha256:<64 hex>`. */
export const DIGEST_IMAGE = /^[a-z0-9.-]+\.[a-z]{2,}(:\d+)?\/[a-z0-9._\/-]*[a-z0-9]@sha256:[a-f0-9]{64}$/;
const AR_REPOSITORY = /^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9._-]+$/;

const UNITS: Record<string, number> = { "": 1, m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
/** A validated quantity (QUANTITY) in bytes. */
const bytes = (q: string): number => {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q)!;
  return Number(m[1]) * UNITS[m[2] ?? ""]!;
};

const fail = (field: string, value: unknown, why: string): never => {
  throw new Error(`build ${field} ${JSON.stringify(value)}: ${why}`);
};

interface ResolvedPlatform {
  namespace: string;
  gitHost: string;
  serviceAccountName: string;
  runtimeClassName: string;
  builderImage: string;
  deadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  buildResources: StepResources;
  stepResources: StepResources;
  workspaceSize: string;
  storageSize: string;
  layoutSize: string;
}

/** Applies the defaults to the platform half and refuses values the guard (or Kubernetes) would refuse. */
export function resolveBuildPlatform(p: BuildPlatform): ResolvedPlatform {
  const r: ResolvedPlatform = {
    namespace: p.namespace ?? BUILD_DEFAULTS.namespace,
    gitHost: p.gitHost ?? BUILD_DEFAULTS.gitHost,
    serviceAccountName: p.serviceAccountName ?? BUILD_DEFAULTS.serviceAccountName,
    runtimeClassName: p.runtimeClassName ?? BUILD_DEFAULTS.runtimeClassName,
    builderImage: p.builderImage,
    deadlineSeconds: p.deadlineSeconds ?? BUILD_DEFAULTS.deadlineSeconds,
    ttlSecondsAfterFinished: p.ttlSecondsAfterFinished ?? BUILD_DEFAULTS.ttlSecondsAfterFinished,
    buildResources: p.buildResources ?? BUILD_DEFAULTS.build,
    stepResources: p.stepResources ?? BUILD_DEFAULTS.step,
    workspaceSize: p.workspaceSize ?? BUILD_DEFAULTS.workspaceSize,
    storageSize: p.storageSize ?? BUILD_DEFAULTS.storageSize,
    layoutSize: p.layoutSize ?? BUILD_DEFAULTS.layoutSize,
  };
  for (const f of ["namespace", "serviceAccountName", "runtimeClassName"] as const) {
    if (!DNS_LABEL.test(r[f]) || r[f].length > 63) fail(f, r[f], "must be a DNS-1123 label");
  }
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(r.gitHost))
    fail("gitHost", r.gitHost, "must be a DNS host name such as github.com");
  if (!DIGEST_IMAGE.test(r.builderImage))
    fail("builderImage", r.builderImage, "must be pinned by digest: <registry>/<path>@sha256:<64 hex>");
  if (!Number.isInteger(r.deadlineSeconds) || r.deadlineSeconds < 60 || r.deadlineSeconds > 600) {
    fail("deadlineSeconds", r.deadlineSeconds, "must be an integer from 60 to 600 (the 10-minute build limit)");
  }
  if (!Number.isInteger(r.ttlSecondsAfterFinished) || r.ttlSecondsAfterFinished < 0 || r.ttlSecondsAfterFinished > 3600) {
    fail("ttlSecondsAfterFinished", r.ttlSecondsAfterFinished, "must be an integer from 0 to 3600");
  }
  for (const [what, res] of [
    ["buildResources", r.buildResources],
    ["stepResources", r.stepResources],
  ] as const) {
    for (const [k, v] of Object.entries(res))
      if (!QUANTITY.test(v)) fail(`${what}.${k}`, v, "must be a Kubernetes quantity such as 2, 500m or 4Gi");
  }
  for (const f of ["workspaceSize", "storageSize", "layoutSize"] as const)
    if (!QUANTITY.test(r[f])) fail(f, r[f], "must be a quantity such as 2Gi");
  const dirs = bytes(r.workspaceSize) + bytes(r.storageSize) + bytes(r.layoutSize);
  if (dirs > bytes(r.buildResources.ephemeralStorage)) {
    fail(
      "buildResources.ephemeralStorage",
      r.buildResources.ephemeralStorage,
      `must hold the workspace, storage and layout emptyDirs (${r.workspaceSize} + ${r.storageSize} + ${r.layoutSize}): the kubelet evicts a pod whose emptyDirs outgrow its limit`,
    );
  }
  return r;
}

/** `https://<host>/<owner>/<repo>[.git]`: a clone URL on the one git host, nothing else in it. */
export const gitUrlPattern = (host: string): RegExp =>
  new RegExp(`^https://${host.replace(/[.]/g, "\\.")}/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$`);

function checkRequest(q: BuildRequest, gitHost: string): void {
  if (!DNS_LABEL.test(q.buildId) || q.buildId.length > 40) fail("buildId", q.buildId, "must be a DNS label of at most 40 characters");
  if (!DNS_LABEL.test(q.tenantId) || q.tenantId.length > 63)
    fail("tenantId", q.tenantId, "must be a DNS-1123 label (it is a label value and an image path segment)");
  // The platform's own images (builder, canary) live under these paths of the tenant repository: a build never pushes there.
  // Every `gumstack-` id, not just those two: the registry's cleanup keeps these paths by package prefix
  // (artifactRegistry.ts KEPT_PACKAGE_PREFIXES), which a tenant `gumstack-builder` would also match.
  if (RESERVED_PLATFORM_TENANTS.includes(q.tenantId) || q.tenantId.startsWith(RESERVED_TENANT_PREFIX))
    fail(
      "tenantId",
      q.tenantId,
      `is reserved for platform images (${RESERVED_PLATFORM_TENANTS.join(", ")}, any ${RESERVED_TENANT_PREFIX}*): no build pushes there`,
    );
  if (!DNS_LABEL.test(q.server) || q.server.length > 63) fail("server", q.server, "must be a DNS-1123 label");
  if (!gitUrlPattern(gitHost).test(q.gitUrl))
    fail("gitUrl", q.gitUrl, `must be an https://${gitHost}/<owner>/<repo> clone URL without credentials, query or fragment`);
  if (!/^[0-9a-f]{40}$/.test(q.gitSha)) fail("gitSha", q.gitSha, "must be a full 40-hex commit SHA");
  for (const f of ["dockerfile", "context"] as const) {
    const v = q[f];
    if (v !== undefined && v !== "." && !REL_PATH.test(v)) fail(f, v, "must be a path inside the repository (relative, no '..')");
  }
  if (!AR_REPOSITORY.test(q.imageRepository))
    fail(
      "imageRepository",
      q.imageRepository,
      "must be an Artifact Registry Docker repository, <region>-docker.pkg.dev/<project>/<repository>",
    );
}

/** `build-<buildId>`: the Job's name, and the prefix of its Secrets. */
export const buildJobName = (buildId: string): string => `build-${buildId}`;
export const gitTokenSecretName = (buildId: string): string => `${buildJobName(buildId)}-git`;
export const pushAuthSecretName = (buildId: string): string => `${buildJobName(buildId)}-push`;
/** Where a build's image goes: `<tenant repo>/<tenant>/<server>:<git sha>`. */
export const buildImageReference = (q: Pick<BuildRequest, "imageRepository" | "tenantId" | "server" | "gitSha">): string =>
  `${q.imageRepository}/${q.tenantId}/${q.server}:${q.gitSha}`;

// The fetch step. The token is read by git's credential helper when the server asks, from the mounted file:
// nothing is stored (no `credential.helper store`, no URL with userinfo), and .git is deleted after the
// checkout is verified, so the build context holds the tree of that one commit and nothing else. The helper
// answers only for https://$GIT_HOST (a URL-scoped `credential.<url>.helper`; the empty `credential.helper`
// first drops any other), and git follows no redirect (`http.followRedirects=false`), so the token never goes
// to another host, a redirect target included (https://git-scm.com/docs/gitcredentials#_credential_contexts,
// https://git-scm.com/docs/git-config#Documentation/git-config.txt-httpfollowRedirects). The build guard pins
// GIT_URL to https://$GIT_HOST/ and this script.
export const FETCH_SCRIPT = [
  "set -eu",
  "mkdir -p /workspace/src && cd /workspace/src",
  "git init -q .",
  'git remote add origin "$GIT_URL"',
  'if [ -r "$GIT_TOKEN_FILE" ]; then',
  '  helper=\'!f() { test "$1" = get && printf "username=x-access-token\\npassword=%s\\n" "$(cat "$GIT_TOKEN_FILE")"; }; f\'',
  '  set -- -c credential.helper= -c "credential.https://$GIT_HOST.helper=$helper"',
  "else set --; fi",
  'git -c http.followRedirects=false "$@" fetch -q --depth 1 --no-tags origin "$GIT_SHA"',
  "git -c advice.detachedHead=false checkout -q --detach FETCH_HEAD",
  'test "$(git rev-parse HEAD)" = "$GIT_SHA"',
  "rm -rf .git",
].join("\n");

// The build step: buildah with chroot isolation (no nested runtime, no user namespace) on vfs storage (no
// overlay or FUSE mounts), then the image as an OCI layout for the push step. No --secret, no authfile: base
// images are pulled anonymously, so a RUN step finds no credential to read.
export const BUILD_SCRIPT = [
  "set -eu",
  "buildah build --isolation chroot --storage-driver vfs --format oci --layers=false --pull-always --no-cache \\",
  '  --file "/workspace/src/$DOCKERFILE" --tag "localhost/build:$GIT_SHA" "/workspace/src/$CONTEXT"',
  'buildah push --storage-driver vfs --format oci "localhost/build:$GIT_SHA" "oci:/layout/image:$GIT_SHA"',
].join("\n");

// The push step: the layout as built, to the one destination fixed in this Job; the digest goes to the
// termination message, which the backend reads from the pod status (no log parsing, nothing to forge in logs).
//
// The layout is the untrusted step's output, vetted before skopeo opens a single file of it, with only what the
// builder image has (sh, find, grep, sha256sum, jq):
//   - plain files and directories only (no symlink to the push credential, no device or FIFO), and only the
//     layout's own names: oci-layout, index.json, blobs/sha256/<64 hex>;
//   - index.json lists exactly one manifest, an OCI image manifest (no second image, no nested index), tagged
//     with the commit, whose blob hashes to its digest and has its size;
//   - that manifest, its config and every layer descriptor hold only the fields an image needs (mediaType,
//     digest, size, annotations): no `urls` (containerd fetches a descriptor's URLs itself, from the node's
//     network, outside gVisor and every NetworkPolicy: remotes/docker/fetcher.go), no `subject`, `artifactType`
//     or embedded `data`; the config is an OCI image config and every layer an OCI layer tar (plain, gzip or
//     zstd), never a non-distributable or unknown media type.
// skopeo then copies that one manifest with --preserve-digests (it fails rather than rewrite it) and checks
// every blob against its digest, and the pushed digest must be the vetted one.
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
/** The layer media types a build may push (https://github.com/opencontainers/image-spec/blob/main/layer.md). */
export const OCI_LAYER_TYPES: readonly string[] = [
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
];
/** Largest index.json and manifest the push step reads (registries commonly cap manifests at 4 MiB). */
export const MAX_INDEX_BYTES = 65536;
export const MAX_MANIFEST_BYTES = 4194304;
/** Most layers an image may have (Docker's own limit is 127 layers per image). */
export const MAX_LAYERS = 127;

const jqList = (xs: readonly string[]) => `[${xs.map((x) => `"${x}"`).join(", ")}]`;
// jq programs printing one reason per line for what is wrong; nothing printed means vetted. No single quote
// (not even an apostrophe) in them: each is passed to jq in single quotes.
const JQ_DESCRIPTOR = `def desc($what; $types):
  (if type != "object" then "\\($what) is not a descriptor" else
    ((keys - ["mediaType", "digest", "size", "annotations"])[] | if . == "urls" then "\\($what) names a fetch location (urls)" else "\\($what) has a field an image does not need: \\(.)" end),
    (if ((.mediaType // "") | IN($types[])) then empty
     elif ((.mediaType // "") | test("nondistributable|foreign")) then "\\($what) is non-distributable (\\(.mediaType))"
     else "\\($what) has media type \\(.mediaType // "none"), not one of \\($types | join(", "))" end),
    (if (.digest | type == "string" and test("^sha256:[a-f0-9]{64}$")) then empty else "\\($what) digest is not sha256:<64 hex>" end),
    (if (.size | type == "number" and . >= 0 and floor == .) then empty else "\\($what) size is not a non-negative integer" end),
    (if ((.annotations // {}) | type == "object" and all(.[]; type == "string")) then empty else "\\($what) annotations are not strings" end)
  end);`;
const JQ_INDEX = `${JQ_DESCRIPTOR}
  if type != "object" then "index.json is not a JSON object" else
    ((keys - ["schemaVersion", "mediaType", "manifests", "annotations"])[] | if . == "subject" then "index.json has a subject" else "index.json has a field a build does not write: \\(.)" end),
    (if .schemaVersion == 2 then empty else "index.json schemaVersion is not 2" end),
    (if (.mediaType // "${OCI_INDEX}") == "${OCI_INDEX}" then empty else "index.json media type is \\(.mediaType)" end),
    (if (.manifests | type == "array" and length == 1) then
      (.manifests[0] | desc("the index manifest"; ["${OCI_MANIFEST}"]),
        (if .annotations["org.opencontainers.image.ref.name"] == $sha then empty else "the index manifest is not tagged with the commit" end),
        (if (.size | type == "number" and . <= ${MAX_MANIFEST_BYTES}) then empty else "the manifest is larger than ${MAX_MANIFEST_BYTES} bytes" end))
     else "index.json lists \\(.manifests | if type == "array" then length else 0 end) manifests: a build pushes exactly one image" end)
  end`;
const JQ_MANIFEST = `${JQ_DESCRIPTOR}
  if type != "object" then "the manifest is not a JSON object" else
    ((keys - ["schemaVersion", "mediaType", "config", "layers", "annotations"])[] | if . == "subject" then "the manifest has a subject (it would refer to another image)" else "the manifest has a field an image does not need: \\(.)" end),
    (if .schemaVersion == 2 then empty else "the manifest schemaVersion is not 2" end),
    (if .mediaType == "${OCI_MANIFEST}" then empty else "the manifest media type is \\(.mediaType // "none"), not ${OCI_MANIFEST}" end),
    (.config | desc("the config"; ["${OCI_CONFIG}"])),
    (if (.layers | type == "array" and length <= ${MAX_LAYERS}) then
      (.layers | to_entries[] | .key as $i | .value | desc("layer \\($i)"; ${jqList(OCI_LAYER_TYPES)}))
     else "the manifest layers are not a list of at most ${MAX_LAYERS}" end)
  end`;
const JQ_BLOBS = `[.config.digest, .layers[].digest][] | sub("^sha256:"; "")`;

export const PUSH_SCRIPT = [
  "set -eu",
  'refuse() { echo "refused: $*" >&2; exit 1; }',
  "L=/layout/image",
  "if [ -n \"$(find /layout ! -type f ! -type d | head -n 1)\" ]; then refuse 'the OCI layout holds a link or special file'; fi",
  "extra=$(find /layout -mindepth 1 | grep -vxE '/layout/image(/oci-layout|/index\\.json|/blobs|/blobs/sha256|/blobs/sha256/[a-f0-9]{64})?' | head -n 1)",
  'if [ -n "$extra" ]; then refuse "the OCI layout holds $extra, which is no part of an image layout"; fi',
  "test -f \"$L/index.json\" || refuse 'the OCI layout has no index.json'",
  `test "$(wc -c < "$L/index.json")" -le ${MAX_INDEX_BYTES} || refuse 'index.json is larger than ${MAX_INDEX_BYTES} bytes'`,
  `why=$(jq -r --arg sha "$GIT_SHA" '${JQ_INDEX}' "$L/index.json" 2>&1) || refuse "index.json is not JSON: $why"`,
  'if [ -n "$why" ]; then refuse "$why"; fi',
  "digest=$(jq -r '.manifests[0].digest' \"$L/index.json\")",
  'm="$L/blobs/sha256/${digest#sha256:}"',
  'test -f "$m" || refuse "the manifest $digest is not in the layout"',
  'test "$(wc -c < "$m")" = "$(jq -r \'.manifests[0].size\' "$L/index.json")" || refuse "the manifest\'s size is not the index\'s"',
  'test "$(sha256sum < "$m" | cut -d \' \' -f 1)" = "${digest#sha256:}" || refuse "the manifest does not hash to $digest"',
  `why=$(jq -r '${JQ_MANIFEST}' "$m" 2>&1) || refuse "the manifest is not JSON: $why"`,
  'if [ -n "$why" ]; then refuse "$why"; fi',
  `for b in $(jq -r '${JQ_BLOBS}' "$m"); do test -f "$L/blobs/sha256/$b" || refuse "blob sha256:$b is not in the layout"; done`,
  'skopeo copy --retry-times 3 --preserve-digests --dest-authfile "$PUSH_AUTH_FILE" --digestfile /tmp/digest \\',
  '  "oci:$L:$GIT_SHA" "docker://$DESTINATION"',
  'test "$(cat /tmp/digest)" = "$digest" || refuse "the registry holds $(cat /tmp/digest), not the vetted $digest"',
  "cat /tmp/digest > /dev/termination-log",
].join("\n");

const resources = (r: StepResources) => {
  const q = { cpu: r.cpu, memory: r.memory, "ephemeral-storage": r.ephemeralStorage };
  return { requests: { ...q }, limits: { ...q } };
};
const env = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));

/** The trusted steps: non-root, no privilege escalation, no capabilities, read-only root filesystem. */
const trustedSecurityContext = () => ({
  runAsNonRoot: true,
  runAsUser: BUILD_STEP_UID,
  runAsGroup: BUILD_STEP_UID,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
});

/**
 * The untrusted build step: root inside the sandbox with BUILDER_CAPABILITIES only. allowPrivilegeEscalation is
 * left unset: Kubernetes' own validation treats `false` with CAP_SYS_ADMIN as a contradiction (ValidateSecurityContext
 * in pkg/apis/core/validation), and a root process holding SYS_ADMIN has nothing left to escalate to.
 */
const builderSecurityContext = () => ({
  runAsUser: 0,
  runAsGroup: 0,
  runAsNonRoot: false,
  privileged: false,
  capabilities: { drop: ["ALL"], add: [...BUILDER_CAPABILITIES] },
  seccompProfile: { type: "RuntimeDefault" },
});

/** The build Job (batch/v1) for one request, as the backend must create it in the build namespace. */
export function buildJobManifest(platform: BuildPlatform, request: BuildRequest): Obj {
  const p = resolveBuildPlatform(platform);
  checkRequest(request, p.gitHost);
  const q = { privateRepository: true, dockerfile: "Dockerfile", context: ".", ...request };
  const name = buildJobName(q.buildId);
  const labels = {
    "app.kubernetes.io/part-of": "gumstack",
    "app.kubernetes.io/component": "build",
    [TENANT_LABEL]: q.tenantId,
    [SERVER_LABEL]: q.server,
    [BUILD_LABEL]: q.buildId,
  };
  const tmp = (n: string) => ({ name: n, emptyDir: { sizeLimit: "256Mi" } });
  // Secret files are world-readable inside the one container that mounts them: the steps run as a non-root
  // uid, and a 0400 file would be root's (fsGroup is not used: it would also apply to the build step's files).
  const volumes: Obj[] = [
    { name: "workspace", emptyDir: { sizeLimit: p.workspaceSize } },
    { name: "storage", emptyDir: { sizeLimit: p.storageSize } },
    { name: "layout", emptyDir: { sizeLimit: p.layoutSize } },
    tmp("fetch-tmp"),
    tmp("push-tmp"),
    {
      name: "push-auth",
      secret: { secretName: pushAuthSecretName(q.buildId), defaultMode: 0o444, items: [{ key: PUSH_AUTH_KEY, path: "config.json" }] },
    },
  ];
  const fetchMounts: Obj[] = [
    { name: "workspace", mountPath: "/workspace" },
    { name: "fetch-tmp", mountPath: "/tmp" },
  ];
  if (q.privateRepository) {
    volumes.push({
      name: "git-token",
      secret: { secretName: gitTokenSecretName(q.buildId), defaultMode: 0o444, items: [{ key: GIT_TOKEN_KEY, path: "token" }] },
    });
    fetchMounts.push({ name: "git-token", mountPath: GIT_TOKEN_DIR, readOnly: true });
  }
  const common = { image: p.builderImage, imagePullPolicy: "IfNotPresent", terminationMessagePolicy: "File" };
  const fetch = {
    name: BUILD_CONTAINERS.fetch,
    ...common,
    command: ["/bin/sh", "-c", FETCH_SCRIPT],
    env: env({
      GIT_URL: q.gitUrl,
      GIT_SHA: q.gitSha,
      GIT_HOST: p.gitHost,
      GIT_TOKEN_FILE: `${GIT_TOKEN_DIR}/token`,
      HOME: "/tmp",
      GIT_TERMINAL_PROMPT: "0",
      GIT_CONFIG_NOSYSTEM: "1",
    }),
    resources: resources(p.stepResources),
    securityContext: trustedSecurityContext(),
    volumeMounts: fetchMounts,
  };
  const build = {
    name: BUILD_CONTAINERS.build,
    ...common,
    command: ["/bin/sh", "-c", BUILD_SCRIPT],
    env: env({
      GIT_SHA: q.gitSha,
      DOCKERFILE: q.dockerfile,
      CONTEXT: q.context,
      BUILDAH_ISOLATION: "chroot",
      STORAGE_DRIVER: "vfs",
      HOME: "/root",
    }),
    resources: resources(p.buildResources),
    securityContext: builderSecurityContext(),
    volumeMounts: [
      { name: "workspace", mountPath: "/workspace", readOnly: true },
      { name: "storage", mountPath: "/var/lib/containers" },
      { name: "layout", mountPath: "/layout" },
    ],
  };
  const push = {
    name: BUILD_CONTAINERS.push,
    ...common,
    command: ["/bin/sh", "-c", PUSH_SCRIPT],
    env: env({
      GIT_SHA: q.gitSha,
      DESTINATION: buildImageReference(q),
      PUSH_AUTH_FILE: `${PUSH_AUTH_DIR}/config.json`,
      HOME: "/tmp",
      TMPDIR: "/tmp",
    }),
    resources: resources(p.stepResources),
    securityContext: trustedSecurityContext(),
    volumeMounts: [
      { name: "layout", mountPath: "/layout", readOnly: true },
      { name: "push-tmp", mountPath: "/tmp" },
      { name: "push-auth", mountPath: PUSH_AUTH_DIR, readOnly: true },
    ],
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: p.namespace, labels },
    spec: {
      // One attempt: a failed build is reported, never retried with the same (possibly expired) tokens.
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds: p.deadlineSeconds,
      ttlSecondsAfterFinished: p.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          runtimeClassName: p.runtimeClassName,
          // Below MCP servers: preempted first when the pool is full, never preempting (buildNamespace.ts).
          priorityClassName: BUILD_PRIORITY_CLASS.name,
          serviceAccountName: p.serviceAccountName,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          restartPolicy: "Never",
          // The pod's own deadline too: it holds even if the Job controller is slow to act on the Job's.
          activeDeadlineSeconds: p.deadlineSeconds,
          terminationGracePeriodSeconds: 10,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          initContainers: [fetch, build],
          containers: [push],
          volumes,
        },
      },
    },
  };
}

/** The Job's two Secrets, owned by the Job (garbage-collected with it); create them right after the Job. */
export function buildSecretManifests(
  platform: Pick<BuildPlatform, "namespace">,
  request: Pick<BuildRequest, "buildId" | "tenantId" | "imageRepository">,
  input: BuildSecretInput,
): Obj[] {
  const namespace = platform.namespace ?? BUILD_DEFAULTS.namespace;
  if (input.job.name !== buildJobName(request.buildId)) fail("job.name", input.job.name, `must be ${buildJobName(request.buildId)}`);
  if (!input.job.uid) fail("job.uid", input.job.uid, "must be the created Job's uid");
  if (!input.pushToken) fail("pushToken", "", "must be a minted access token of the pusher service account");
  const owner = {
    apiVersion: "batch/v1",
    kind: "Job",
    name: input.job.name,
    uid: input.job.uid,
    controller: true,
    blockOwnerDeletion: false,
  };
  const meta = (name: string) => ({
    name,
    namespace,
    labels: { [TENANT_LABEL]: request.tenantId, [BUILD_LABEL]: request.buildId },
    ownerReferences: [owner],
  });
  const host = request.imageRepository.split("/")[0]!;
  // Artifact Registry takes an OAuth access token as the password of user "oauth2accesstoken".
  const auth = Buffer.from(`oauth2accesstoken:${input.pushToken}`).toString("base64");
  const out: Obj[] = [
    {
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/dockerconfigjson",
      immutable: true,
      metadata: meta(pushAuthSecretName(request.buildId)),
      stringData: { [PUSH_AUTH_KEY]: JSON.stringify({ auths: { [host]: { auth } } }) },
    },
  ];
  if (input.gitToken !== undefined) {
    out.push({
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      immutable: true,
      metadata: meta(gitTokenSecretName(request.buildId)),
      stringData: { [GIT_TOKEN_KEY]: input.gitToken },
    });
  }
  return out;
}
