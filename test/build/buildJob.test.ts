// The build Job contract (what the backend mirrors) and the `gumstack:build` config: what a build gets, where it
// pushes, what it is passed, and every input that would make a weak or broken build refused with its key.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BUILDER_CAPABILITIES,
  buildImageReference,
  buildJobManifest,
  buildSecretManifests,
  GIT_TOKEN_DIR,
  PUSH_AUTH_DIR,
  type BuildRequest,
} from "../../components/kubernetes/buildJob.js";
import { buildNamespaceManifests } from "../../components/kubernetes/buildNamespace.js";
import { ImagePusher, pusherAccountId } from "../../components/gcp/imagePusher.js";
import { namespaceValues, parseStackConfig } from "../../src/config/load.js";
import { parseStackFile } from "../../src/plan/stackFile.js";
import { configProblems } from "../support/config.js";
import { ofType, record } from "../support/harness.js";

type Obj = Record<string, any>;
const BUILDER = `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder@sha256:${"8".repeat(64)}`;
const REQUEST: BuildRequest = {
  buildId: "b7f3c2a1",
  tenantId: "acme",
  server: "weather",
  gitUrl: "https://github.com/acme/weather-mcp.git",
  gitSha: "4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
  imageRepository: "us-west1-docker.pkg.dev/gumstack-prod/gumstack",
};
const job = buildJobManifest({ builderImage: BUILDER }, REQUEST);
const spec: Obj = job.spec.template.spec;
const named = (n: string): Obj => [...spec.initContainers, ...spec.containers].find((c: Obj) => c.name === n);
const envOf = (n: string) => Object.fromEntries(named(n).env.map((e: Obj) => [e.name, e.value]));

describe("buildJobManifest", () => {
  it("labels the Job and its pod with the tenant, server and build, for the backend to select and account", () => {
    const labels = { "gumstack.com/tenant": "acme", "gumstack.com/server": "weather", "gumstack.com/build": "b7f3c2a1" };
    expect(job.metadata).toMatchObject({ name: "build-b7f3c2a1", namespace: "gumstack-build", labels });
    expect(job.spec.template.metadata.labels).toMatchObject(labels);
  });

  it("pushes to <tenant repo>/<tenant>/<server>:<git sha>, a destination fixed in the Job, not in the build's output", () => {
    expect(envOf("push").DESTINATION).toBe(
      "us-west1-docker.pkg.dev/gumstack-prod/gumstack/acme/weather:4f2c1e9a7b3d5f8e0c2a4b6d8f0e1c3a5b7d9f2e",
    );
    expect(buildImageReference(REQUEST)).toBe(envOf("push").DESTINATION);
  });

  it("mounts each credential into its one trusted step, and nothing secret into the build step", () => {
    const secretVolumes = spec.volumes.filter((v: Obj) => v.secret).map((v: Obj) => v.name);
    expect(secretVolumes.sort()).toEqual(["git-token", "push-auth"]);
    expect(named("fetch").volumeMounts).toContainEqual({ name: "git-token", mountPath: GIT_TOKEN_DIR, readOnly: true });
    expect(named("push").volumeMounts).toContainEqual({ name: "push-auth", mountPath: PUSH_AUTH_DIR, readOnly: true });
    expect(
      named("build")
        .volumeMounts.map((m: Obj) => m.name)
        .sort(),
    ).toEqual(["layout", "storage", "workspace"]);
    expect(JSON.stringify(named("build").env)).not.toMatch(/secret|token/i);
  });

  it("bounds the build: deadline on Job and pod, no retry, TTL, limits with ephemeral storage, sized emptyDirs", () => {
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 600,
      ttlSecondsAfterFinished: 300,
      completions: 1,
      parallelism: 1,
    });
    expect(spec.activeDeadlineSeconds).toBe(600);
    for (const c of [...spec.initContainers, ...spec.containers])
      expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
    for (const v of spec.volumes.filter((x: Obj) => x.emptyDir)) expect(v.emptyDir.sizeLimit).toMatch(/^\d+(Mi|Gi)$/);
  });

  it("runs the trusted steps non-root with nothing, the build step as root in the sandbox with the fixed capability set", () => {
    for (const n of ["fetch", "push"])
      expect(named(n).securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    expect(named("build").securityContext).toMatchObject({
      runAsUser: 0,
      privileged: false,
      capabilities: { drop: ["ALL"], add: [...BUILDER_CAPABILITIES] },
    });
    expect(BUILDER_CAPABILITIES).not.toContain("NET_RAW");
    expect(spec).toMatchObject({
      runtimeClassName: "gvisor",
      serviceAccountName: "builder",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: "Never",
    });
  });

  it("leaves the token mount out for a public repository", () => {
    const pub = buildJobManifest({ builderImage: BUILDER }, { ...REQUEST, privateRepository: false }).spec.template.spec;
    expect(pub.volumes.map((v: Obj) => v.name)).not.toContain("git-token");
  });

  it.each([
    [
      { builderImage: "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/builder:1.4" },
      {},
      /^build builderImage ".*builder:1\.4": must be pinned by digest/,
    ],
    [{ deadlineSeconds: 900 }, {}, /^build deadlineSeconds 900: must be an integer from 60 to 600/],
    [{ ttlSecondsAfterFinished: 86400 }, {}, /^build ttlSecondsAfterFinished 86400: must be an integer from 0 to 3600/],
    [{ buildResources: { cpu: "two", memory: "4Gi", ephemeralStorage: "20Gi" } }, {}, /^build buildResources\.cpu "two"/],
    [
      { buildResources: { cpu: "2", memory: "4Gi", ephemeralStorage: "4Gi" } },
      {},
      /^build buildResources\.ephemeralStorage "4Gi": must hold the workspace, storage and layout emptyDirs \(2Gi \+ 12Gi \+ 4Gi\)/,
    ],
    [
      {},
      { gitUrl: "https://x-access-token:ghs_x@github.com/acme/w.git" },
      /^build gitUrl .*: must be an https:\/\/github\.com\/<owner>\/<repo> clone URL without credentials/,
    ],
    [{}, { gitUrl: "git@github.com:acme/w.git" }, /^build gitUrl/],
    // One host: the credential helper answers only there, and the guard pins it too.
    [
      {},
      { gitUrl: "https://gitlab.com/acme/w.git" },
      /^build gitUrl "https:\/\/gitlab\.com\/acme\/w\.git": must be an https:\/\/github\.com\//,
    ],
    [{}, { gitUrl: "https://github.com.evil.example/acme/w.git" }, /^build gitUrl/],
    [{ gitHost: "GitHub.com" }, {}, /^build gitHost "GitHub\.com": must be a DNS host name/],
    [{}, { gitSha: "4f2c1e9" }, /^build gitSha "4f2c1e9": must be a full 40-hex commit SHA/],
    [{}, { dockerfile: "../../etc/passwd" }, /^build dockerfile "\.\.\/\.\.\/etc\/passwd": must be a path inside the repository/],
    [{}, { context: "/etc" }, /^build context "\/etc"/],
    [{}, { tenantId: "Acme" }, /^build tenantId "Acme"/],
    // The builder's and the canary's paths of the tenant repository: a build pushing there would shadow them.
    [
      {},
      { tenantId: "gumstack-build" },
      /^build tenantId "gumstack-build": is reserved for platform images \(gumstack-build, gumstack-canary, any gumstack-\*\)/,
    ],
    [{}, { tenantId: "gumstack-canary" }, /^build tenantId "gumstack-canary": is reserved for platform images/],
    // The registry keeps every package starting gumstack-build / gumstack-canary: no tenant may start so.
    [{}, { tenantId: "gumstack-builder" }, /^build tenantId "gumstack-builder": is reserved for platform images .*any gumstack-\*/],
    [
      {},
      { imageRepository: "docker.io/acme" },
      /^build imageRepository "docker\.io\/acme": must be an Artifact Registry Docker repository/,
    ],
    [{}, { buildId: "b".repeat(41) }, /^build buildId .*: must be a DNS label of at most 40 characters/],
  ])("refuses %j %j", (platform, request, message) => {
    expect(() => buildJobManifest({ builderImage: BUILDER, ...platform }, { ...REQUEST, ...request })).toThrow(message);
  });
});

describe("buildSecretManifests", () => {
  const [push, git] = buildSecretManifests({}, REQUEST, {
    job: { name: "build-b7f3c2a1", uid: "5d1c" },
    gitToken: "ghs_x",
    pushToken: "ya29.x",
  });
  it("owns both Secrets by the Job, so they are deleted with it, and makes them immutable", () => {
    for (const s of [push!, git!]) {
      expect(s.metadata.ownerReferences).toEqual([
        { apiVersion: "batch/v1", kind: "Job", name: "build-b7f3c2a1", uid: "5d1c", controller: true, blockOwnerDeletion: false },
      ]);
      expect(s.immutable).toBe(true);
    }
  });
  it("holds the pusher token as Artifact Registry's oauth2accesstoken login for the repository's host only", () => {
    const config = JSON.parse(push!.stringData[".dockerconfigjson"]);
    expect(Object.keys(config.auths)).toEqual(["us-west1-docker.pkg.dev"]);
    expect(Buffer.from(config.auths["us-west1-docker.pkg.dev"].auth, "base64").toString()).toBe("oauth2accesstoken:ya29.x");
    expect(git!.stringData).toEqual({ token: "ghs_x" });
  });
  it("refuses a Job that is not this build's", () => {
    expect(() => buildSecretManifests({}, REQUEST, { job: { name: "build-other", uid: "1" }, pushToken: "t" })).toThrow(
      /^build job\.name "build-other": must be build-b7f3c2a1/,
    );
  });
});

describe("buildNamespaceManifests", () => {
  it("refuses a quota that is not a quantity", () => {
    expect(() => buildNamespaceManifests({ quotaCpu: "lots" })).toThrow(/build namespace limits\.cpu "lots" is not a Kubernetes quantity/);
    expect(() => buildNamespaceManifests({ maxConcurrentBuilds: 0 })).toThrow(/maxConcurrentBuilds must be a positive integer/);
  });
});

describe("ImagePusher", () => {
  it("is pusher-<environment>, writer on the one repository, its tokens minted by the given member only", async () => {
    expect(pusherAccountId("prod")).toBe("pusher-prod");
    expect(pusherAccountId("enterprise-very-long-customer-name")).toHaveLength(30);
    const rs = await record(
      () =>
        new ImagePusher("pusher", {
          project: "gumstack-test",
          environment: "test",
          repository: { project: "gumstack-test", location: "us-west1", repositoryId: "gumstack" },
          tokenMinter: "serviceAccount:backend-test@gumstack-test.iam.gserviceaccount.com",
        }),
    );
    expect(ofType(rs, "gcp:serviceaccount/account:Account")[0]!.inputs).toMatchObject({
      accountId: "pusher-test",
      project: "gumstack-test",
    });
    expect(ofType(rs, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        project: "gumstack-test",
        location: "us-west1",
        repository: "gumstack",
        role: "roles/artifactregistry.writer",
      }),
    ]);
    expect(ofType(rs, "gcp:serviceaccount/iAMMember:IAMMember").map((r) => [r.inputs.role, r.inputs.member])).toEqual([
      ["roles/iam.serviceAccountTokenCreator", "serviceAccount:backend-test@gumstack-test.iam.gserviceaccount.com"],
    ]);
    expect(rs.filter((r) => r.type === "gcp:projects/iAMMember:IAMMember")).toEqual([]);
  });
});

describe("gumstack:build config", () => {
  const file = parseStackFile(readFileSync("Pulumi.prod.yaml", "utf8"), "Pulumi.prod.yaml");
  const refused = (build: Obj): string[] => {
    const values = structuredClone(namespaceValues(file.config)) as Obj;
    values.build = { ...values.build, ...build };
    return configProblems(values);
  };
  const BUILD_PATH_MSG =
    /^gumstack:build\.builderImage: must be in this stack's tenant MCP repository under the build plane's reserved path: us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod\/gumstack-build\/builder@sha256:<64 hex> \(scripts\/publish-platform-image\.sh/;
  it("holds prod's builder image by digest and the 10-minute deadline", () => {
    const prod = parseStackConfig(namespaceValues(file.config));
    expect(prod.build).toMatchObject({
      namespace: "gumstack-build",
      deadlineSeconds: 600,
      ttlSecondsAfterFinished: 300,
      maxConcurrentBuilds: 20,
    });
    // The release identity's copy in prod's tenant repository, the only one the MCP pool's nodes may pull from.
    expect(prod.build.builderImage).toMatch(
      /^us-west1-docker\.pkg\.dev\/gumstack-prod\/mcp-prod\/gumstack-build\/builder@sha256:[a-f0-9]{64}$/,
    );
  });
  it.each([
    [
      "a tag-only builder image",
      { builderImage: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/builder:4f2c1e9" },
      /^gumstack:build\.builderImage: must be the builder image in this stack's tenant MCP repository pinned by digest.*gcloud artifacts docker images describe/,
    ],
    [
      "a builder image from Docker Hub",
      { builderImage: `quay.io/buildah/stable@sha256:${"a".repeat(64)}` },
      /^gumstack:build\.builderImage: must be/,
    ],
    // Still a platform image, but the MCP pool's nodes cannot pull from the platform-images repository.
    [
      "the builder in the platform-images repository",
      { builderImage: `us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform/builder@sha256:${"b".repeat(64)}` },
      BUILD_PATH_MSG,
    ],
    [
      "a builder under a customer's tenant path",
      { builderImage: `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/acme/builder@sha256:${"b".repeat(64)}` },
      BUILD_PATH_MSG,
    ],
    [
      "a builder in another stack's tenant repository",
      { builderImage: `us-west1-docker.pkg.dev/gumstack-acme/mcp-ent-acme/gumstack-build/builder@sha256:${"b".repeat(64)}` },
      BUILD_PATH_MSG,
    ],
    [
      "a builder nested below the build path",
      { builderImage: `us-west1-docker.pkg.dev/gumstack-prod/mcp-prod/gumstack-build/acme/builder@sha256:${"b".repeat(64)}` },
      BUILD_PATH_MSG,
    ],
    [
      "an 11-minute deadline",
      { deadlineSeconds: 660 },
      /^gumstack:build\.deadlineSeconds: must be at most 600: a build is stopped after 10 minutes/,
    ],
    ["builds in the MCP namespace", { namespace: "gumstack-mcp" }, /^gumstack:build\.namespace: must be a namespace of its own/],
    ["a day-long TTL", { ttlSecondsAfterFinished: 86400 }, /^gumstack:build\.ttlSecondsAfterFinished: /],
    [
      "ephemeral storage smaller than the build's emptyDirs",
      { ephemeralStorage: "8Gi" },
      /^gumstack:build\.ephemeralStorage: must be at least 18Gi/,
    ],
  ])("refuses %s, naming the key", (_, build, message) => {
    expect(refused(build)).toContainEqual(expect.stringMatching(message));
  });
});
