// The bootstrap program (bootstrap/), planned offline under the same mocks as the platform: what an empty admin
// project needs before `pulumi up --stack prod` can succeed in one pass, protected, and with the release
// identity as the ONLY writer of the platform images.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_APIS, githubCondition, program } from "../bootstrap/program.js";
import { parseBootstrapConfig } from "../bootstrap/config.js";
import { main as planCli } from "../src/cli/plan.js";
import { planStack, type PlannedResource } from "../src/plan/plan.js";
import { parseStackFile } from "../src/plan/stackFile.js";
import { run } from "./cli/support.js";
import { nameOf, one, ofType, waitsFor } from "./support/harness.js";

const adminFile = parseStackFile(readFileSync("bootstrap/Pulumi.admin.yaml", "utf8"), "bootstrap/Pulumi.admin.yaml");
const plan = async (extra: Record<string, string> = {}, drop: string[] = []) => {
  const config = { ...adminFile.config, ...extra };
  for (const k of drop) delete config[k];
  return (await planStack({ stack: "admin", stackConfig: { config, secretKeys: [] }, program, project: "gumstack-bootstrap" })).deployment
    .resources;
};

let admin: PlannedResource[];
beforeAll(async () => {
  admin = await plan({
    "gumstack-bootstrap:releasers": JSON.stringify(["group:release-managers@gumstack.com"]),
    "gumstack-bootstrap:deployers": JSON.stringify(["serviceAccount:deployer@gumstack-admin.iam.gserviceaccount.com"]),
  });
}, 60_000);

const inputs = (r: PlannedResource) => r.inputs as Record<string, any>;
const releaseMember = () =>
  `serviceAccount:${inputs(one(admin, "gcp:serviceaccount/account:Account", "release")).accountId}@gumstack-admin.iam.gserviceaccount.com`;

/** Roles that can write (push, tag, delete) to an Artifact Registry repository, directly or as owner/editor. */
const WRITE_ROLES = [
  "roles/artifactregistry.writer",
  "roles/artifactregistry.repoAdmin",
  "roles/artifactregistry.admin",
  "roles/artifactregistry.createOnPushWriter",
  "roles/artifactregistry.createOnPushRepoAdmin",
  "roles/owner",
  "roles/editor",
];

describe("the bootstrap", () => {
  it("is a runnable Pulumi program of its own in bootstrap/, on the repository's install", () => {
    const project = parse(readFileSync("bootstrap/Pulumi.yaml", "utf8"));
    expect(project).toMatchObject({
      name: "gumstack-bootstrap",
      main: "index.ts",
      runtime: { name: "nodejs", options: { nodeargs: "--import tsx" } },
    });
    expect(readFileSync("bootstrap/index.ts", "utf8")).toMatch(/export default program;/);
  });

  it("enables the admin project's APIs, and every resource waits for the API it uses", () => {
    const services = ofType(admin, "gcp:projects/service:Service")
      .map((r) => inputs(r).service)
      .sort();
    expect(services).toEqual([...BOOTSTRAP_APIS].sort());
    const api = (s: string) => ofType(admin, "gcp:projects/service:Service").find((r) => inputs(r).service === s)!;
    expect(waitsFor(admin, one(admin, "gcp:storage/bucket:Bucket"), api("storage.googleapis.com"))).toBe(true);
    expect(waitsFor(admin, one(admin, "gcp:kms/cryptoKey:CryptoKey"), api("cloudkms.googleapis.com"))).toBe(true);
    expect(waitsFor(admin, one(admin, "gcp:artifactregistry/repository:Repository"), api("artifactregistry.googleapis.com"))).toBe(true);
    expect(
      waitsFor(admin, one(admin, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"), api("sts.googleapis.com")),
    ).toBe(true);
  });

  it("creates the state bucket versioned, uniform, never public, protected", () => {
    const bucket = one(admin, "gcp:storage/bucket:Bucket", "state");
    expect(bucket.protect).toBe(true);
    expect(inputs(bucket)).toMatchObject({
      name: "gumstack-pulumi-state",
      project: "gumstack-admin",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: false,
      deletionPolicy: "PREVENT",
    });
  });

  it("creates the stack-secrets key ring and key, protected, rotated at most every 90 days, never deleted", () => {
    expect(one(admin, "gcp:kms/keyRing:KeyRing").protect).toBe(true);
    const key = one(admin, "gcp:kms/cryptoKey:CryptoKey");
    expect(key.protect).toBe(true);
    expect(inputs(key)).toMatchObject({
      name: "stack-secrets",
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: "7776000s",
      deletionPolicy: "PREVENT",
    });
  });

  it("creates the platform-images Docker repository with immutable tags, protected", () => {
    const repo = one(admin, "gcp:artifactregistry/repository:Repository");
    expect(repo.protect).toBe(true);
    expect(inputs(repo)).toMatchObject({
      repositoryId: "gumstack-platform",
      format: "DOCKER",
      location: "us-west1",
      dockerConfig: { immutableTags: true },
    });
  });

  it("lets the release identity, and nothing else, write the platform images", () => {
    const grants = admin.filter((r) => /iam(member|binding|policy)$/i.test(r.type));
    const writes = grants.filter((r) => WRITE_ROLES.includes(inputs(r).role));
    expect(writes.map((r) => [r.type, inputs(r).member])).toEqual([
      ["gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", releaseMember()],
    ]);
    // No project-wide grant at all: the release identity reaches the one repository only.
    expect(admin.filter((r) => r.type.startsWith("gcp:projects/iAM") && r.type !== "gcp:projects/iAMCustomRole:IAMCustomRole")).toEqual([]);
    // Deployers get state and secrets, not the registry.
    const deployer = "serviceAccount:deployer@gumstack-admin.iam.gserviceaccount.com";
    const deployerRoles = grants
      .filter((r) => inputs(r).member === deployer)
      .map((r) => inputs(r).role)
      .sort();
    expect(deployerRoles).toEqual([
      "projects/gumstack-admin/roles/platformImagesGrantor",
      "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      "roles/storage.objectAdmin",
    ]);
    // The deployer's role on the repository carries no write permission: only IAM policy, for the stacks' read grants.
    expect(inputs(one(admin, "gcp:projects/iAMCustomRole:IAMCustomRole")).permissions).toEqual([
      "artifactregistry.repositories.get",
      "artifactregistry.repositories.getIamPolicy",
      "artifactregistry.repositories.setIamPolicy",
    ]);
  });

  it("lets act as the release identity only the listed releasers and one GitHub repository on one ref", () => {
    const onRelease = ofType(admin, "gcp:serviceaccount/iAMMember:IAMMember").map((r) => [inputs(r).role, inputs(r).member]);
    expect(onRelease).toEqual([
      ["roles/iam.serviceAccountTokenCreator", "group:release-managers@gumstack.com"],
      [
        "roles/iam.workloadIdentityUser",
        expect.stringMatching(
          /^principalSet:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/github\/attribute\.repository\/gumstack\/platform$/,
        ),
      ],
    ]);
    const provider = inputs(one(admin, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"));
    expect(provider.attributeCondition).toBe('assertion.repository == "gumstack/platform" && assertion.ref == "refs/heads/main"');
    expect(provider.oidc).toEqual({ issuerUri: "https://token.actions.githubusercontent.com" });
    expect(githubCondition('a/b" || true || "', "refs/heads/main")).toBe(
      'assertion.repository == "a/b\\" || true || \\"" && assertion.ref == "refs/heads/main"',
    );
  });

  it("creates no federation without gumstack-bootstrap:github", async () => {
    const bare = await plan({}, ["gumstack-bootstrap:github"]);
    expect(bare.filter((r) => r.type.startsWith("gcp:iam/"))).toEqual([]);
    expect(ofType(bare, "gcp:serviceaccount/iAMMember:IAMMember")).toEqual([]);
  });

  it("outputs what the next steps need: the backend login, the secrets provider, the repository for stack config", () => {
    const outputs = one(admin, "pulumi:pulumi:Stack").outputs;
    expect(outputs).toMatchObject({
      stateBackend: "gs://gumstack-pulumi-state",
      secretsProvider: "gcpkms://projects/gumstack-admin/locations/global/keyRings/pulumi/cryptoKeys/stack-secrets",
      platformImagesRepository: "us-west1-docker.pkg.dev/gumstack-admin/gumstack-platform",
      releaseServiceAccount: "gumstack-release@gumstack-admin.iam.gserviceaccount.com",
      workloadIdentityProvider: expect.stringMatching(
        /^projects\/\d+\/locations\/global\/workloadIdentityPools\/github\/providers\/github-actions$/,
      ),
    });
    expect(admin.map(nameOf)).not.toContain("platform-images-reader");
    // The README's bootstrap steps read these outputs.
    const named = [...readFileSync("README.md", "utf8").matchAll(/pulumi stack output (\w+)(?: --stack admin|\))/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(2);
    for (const n of named) expect(Object.keys(outputs)).toContain(n);
  });

  it("refuses bad config naming the key, before anything is planned", () => {
    expect(() =>
      parseBootstrapConfig({ "gumstack-bootstrap:project": "gumstack-admin", "gumstack-bootstrap:stateBucket": "Gumstack State" }),
    ).toThrow('gumstack-bootstrap:stateBucket: must be a bucket name: 3-63 lowercase letters, digits, - or _ (got "Gumstack State")');
    expect(() => parseBootstrapConfig({ "gumstack-bootstrap:project": "gumstack-admin", "gumstack-bootstrap:stateBuckt": "x" })).toThrow(
      /gumstack-bootstrap:stateBuckt: unknown key/,
    );
    expect(() =>
      parseBootstrapConfig({
        "gumstack-bootstrap:project": "gumstack-admin",
        "gumstack-bootstrap:stateBucket": "s-b",
        "gumstack-bootstrap:github": '{"repository":"x"}',
      }),
    ).toThrow(/gumstack-bootstrap:github\.repository: must be owner\/name of a GitHub repository \(got "x"\)/);
  });

  it("plans with npm run plan -- --program bootstrap --stack admin; an unknown program is a usage error", async () => {
    const r = await run(planCli, "--program", "bootstrap", "--stack", "admin", "--quiet");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}platformImagesRepository: us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform$/m);
    const bad = await run(planCli, "--program", "bootstrapp", "--stack", "admin");
    expect(bad).toMatchObject({ code: 2, err: "error: --program: 'bootstrapp' is not a program here; platform or bootstrap" });
    const missing = await run(planCli, "--program", "bootstrap", "--stack", "prod");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: no stack 'prod': .*bootstrap\/Pulumi\.prod\.yaml does not exist; stacks here: admin$/);
  });
});
