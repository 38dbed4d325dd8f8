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
  runtimeClassName: GKE_SANDBOX_RUNTIME_CLASS,
  deadlineSeconds: 600,
  ttlSecondsAfterFinished: 300,
  build: { cpu: "2", memory: "4Gi", ephemeralStorage: "20Gi" },
  /** The build namespace's ResourceQuota (BuildNamespace): builds at once and their limits together. */
  maxConcurrentBuilds: 20,
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
const GIT_URL = /^https:\/\/[a-z0-9.-]+\.[a-z]{2,}(:\d+)?\/[A-Za-z0-9._~\/-]+$/;

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

function checkRequest(q: BuildRequest): void {
  if (!DNS_LABEL.test(q.buildId) || q.buildId.length > 40) fail("buildId", q.buildId, "must be a DNS label of at most 40 characters");
  if (!DNS_LABEL.test(q.tenantId) || q.tenantId.length > 63)
    fail("tenantId", q.tenantId, "must be a DNS-1123 label (it is a label value and an image path segment)");
  // The platform's own images (builder, canary) live under these paths of the tenant repository: a build never pushes there.
  if (RESERVED_PLATFORM_TENANTS.includes(q.tenantId))
    fail("tenantId", q.tenantId, `is reserved for platform images (${RESERVED_PLATFORM_TENANTS.join(", ")}): no build pushes there`);
  if (!DNS_LABEL.test(q.server) || q.server.length > 63) fail("server", q.server, "must be a DNS-1123 label");
  if (!GIT_URL.test(q.gitUrl)) fail("gitUrl", q.gitUrl, "must be an https:// clone URL without credentials, query or fragment");
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
// checkout is verified, so the build context holds the tree of that one commit and nothing else.
export const FETCH_SCRIPT = [
  "set -eu",
  "mkdir -p /workspace/src && cd /workspace/src",
  "git init -q .",
  'git remote add origin "$GIT_URL"',
  'if [ -r "$GIT_TOKEN_FILE" ]; then',
  '  set -- -c credential.helper= -c \'credential.helper=!f() { test "$1" = get && printf "username=x-access-token\\npassword=%s\\n" "$(cat "$GIT_TOKEN_FILE")"; }; f\'',
  "else set --; fi",
  'git "$@" fetch -q --depth 1 --no-tags origin "$GIT_SHA"',
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
// The layout is the untrusted step's output: anything but plain files and directories (a symlink to the push
// credential, a device, a FIFO) is refused before skopeo opens a single file of it.
export const PUSH_SCRIPT = [
  "set -eu",
  "if [ -n \"$(find /layout ! -type f ! -type d | head -n 1)\" ]; then echo 'refused: the OCI layout holds a link or special file' >&2; exit 1; fi",
  'skopeo copy --retry-times 3 --dest-authfile "$PUSH_AUTH_FILE" --digestfile /dev/termination-log \\',
  '  "oci:/layout/image:$GIT_SHA" "docker://$DESTINATION"',
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
  checkRequest(request);
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
