// The bootstrap program (bootstrap/), planned offline under the same mocks as the platform: what an empty admin
// project needs before `pulumi up --stack prod` can succeed in one pass, protected, and with the release
// identity as the ONLY writer of the platform images.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { BOOTSTRAP_APIS, CI_PREVIEW_PERMISSIONS, DEPLOYER_QUOTA_ROLE, githubCondition, program } from "../bootstrap/program.js";
import { parseBootstrapConfig } from "../bootstrap/config.js";
import { main as planCli } from "../src/cli/plan.js";
import { planStack, type PlannedResource } from "../src/plan/plan.js";
import { parseStackFile } from "../src/plan/stackFile.js";
import { run } from "./cli/support.js";
import { sharedPlan } from "./support/plans.js";
import { nameOf, one, ofType, waitsFor } from "./support/harness.js";

const adminFile = parseStackFile(readFileSync("bootstrap/Pulumi.admin.yaml", "utf8"), "bootstrap/Pulumi.admin.yaml");
const plan = async (extra: Record<string, string> = {}, drop: string[] = []) => {
  const config = { ...adminFile.config, ...extra };
  for (const k of drop) delete config[k];
  return (await planStack({ stack: "admin", stackConfig: { config, secretKeys: [] }, program, project: "gumstack-bootstrap" })).deployment
    .resources;
};

/** The two lists the committed stack file leaves to the operator (the plan refuses the file without them). */
const REQUIRED = {
  "gumstack-bootstrap:releasers": JSON.stringify(["group:release-managers@gumstack.com"]),
  "gumstack-bootstrap:deployers": JSON.stringify(["serviceAccount:deployer@gumstack-admin.iam.gserviceaccount.com"]),
};
const CI_PREVIEW = "serviceAccount:gumstack-ci-preview@gumstack-admin.iam.gserviceaccount.com";

let admin: PlannedResource[];
beforeAll(async () => {
  admin = await plan(REQUIRED);
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
    // Deployers may make the admin project their ADC quota project: Cloud Billing calls are counted there.
    expect(services).toContain("cloudbilling.googleapis.com");
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
    // The only project-wide grants: deployers may bill API calls to the admin project (their quota project), and
    // the CI preview identity holds its custom role in the preview projects. The release identity reaches the one
    // repository only.
    const projectGrants = admin
      .filter((r) => r.type === "gcp:projects/iAMMember:IAMMember")
      .map((r) => [inputs(r).project, inputs(r).role, inputs(r).member]);
    expect(projectGrants.sort()).toEqual([
      ["gumstack-admin", DEPLOYER_QUOTA_ROLE, "serviceAccount:deployer@gumstack-admin.iam.gserviceaccount.com"],
      ["gumstack-prod", "projects/gumstack-prod/roles/gumstackCiPreview", CI_PREVIEW],
    ]);
    expect(admin.filter((r) => r.type.startsWith("gcp:projects/iAM") && !/iAMMember|iAMCustomRole/.test(r.type))).toEqual([]);
    // Deployers get state and secrets, not the registry.
    const deployer = "serviceAccount:deployer@gumstack-admin.iam.gserviceaccount.com";
    const deployerRoles = grants
      .filter((r) => inputs(r).member === deployer)
      .map((r) => inputs(r).role)
      .sort();
    expect(deployerRoles).toEqual([
      "projects/gumstack-admin/roles/platformImagesGrantor",
      "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      "roles/serviceusage.serviceUsageConsumer",
      "roles/storage.objectAdmin",
    ]);
    // The deployer's role on the repository carries no write permission: only IAM policy, for the stacks' read grants.
    expect(inputs(one(admin, "gcp:projects/iAMCustomRole:IAMCustomRole", "platform-images-grantor")).permissions).toEqual([
      "artifactregistry.repositories.get",
      "artifactregistry.repositories.getIamPolicy",
      "artifactregistry.repositories.setIamPolicy",
    ]);
  });

  it("lets act as the release identity only the listed releasers and one GitHub repository on one ref", () => {
    const onRelease = ofType(admin, "gcp:serviceaccount/iAMMember:IAMMember")
      .filter((r) => nameOf(r).startsWith("release-"))
      .map((r) => [inputs(r).role, inputs(r).member]);
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
    const bare = await plan(REQUIRED, ["gumstack-bootstrap:github", "gumstack-bootstrap:previewProjects"]);
    expect(bare.filter((r) => r.type.startsWith("gcp:iam/"))).toEqual([]);
    expect(ofType(bare, "gcp:serviceaccount/iAMMember:IAMMember").map(nameOf)).toEqual(["release-token-creator-0"]);
    // No CI preview identity either: nothing could act as it.
    expect(ofType(bare, "gcp:serviceaccount/account:Account").map(nameOf)).toEqual(["release"]);
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
      ciPreviewServiceAccount: "gumstack-ci-preview@gumstack-admin.iam.gserviceaccount.com",
    });
    expect(admin.map(nameOf)).not.toContain("platform-images-reader");
    // The README's bootstrap steps read these outputs.
    const named = [...readFileSync("README.md", "utf8").matchAll(/pulumi stack output (\w+)(?: --stack admin|\))/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(2);
    for (const n of named) expect(Object.keys(outputs)).toContain(n);
  });

  it("requires releasers and deployers: missing or empty, one line naming the key with an example", () => {
    const base = { "gumstack-bootstrap:project": "gumstack-admin", "gumstack-bootstrap:stateBucket": "s-b" };
    const releasers =
      'gumstack-bootstrap:releasers: is required: at least one IAM member, who may act as the release identity (scripts/publish-*.sh --impersonate), e.g. ["user:you@example.com"] (set it in bootstrap/Pulumi.admin.yaml)';
    for (const value of [undefined, "[]"]) {
      const cfg = {
        ...base,
        "gumstack-bootstrap:deployers": '["user:d@gumstack.com"]',
        ...(value ? { "gumstack-bootstrap:releasers": value } : {}),
      };
      expect(() => parseBootstrapConfig(cfg)).toThrow(`Invalid bootstrap configuration:\n  - ${releasers}`);
    }
    expect(() =>
      parseBootstrapConfig({ ...base, "gumstack-bootstrap:releasers": '["user:r@gumstack.com"]', "gumstack-bootstrap:deployers": "[]" }),
    ).toThrow(
      /gumstack-bootstrap:deployers: is required: at least one IAM member, who deploys the platform stacks .*e\.g\. \["user:you@example\.com"\]/,
    );
    // A member that is not one is refused with its value, not as missing.
    expect(() =>
      parseBootstrapConfig({
        ...base,
        "gumstack-bootstrap:releasers": '["you@example.com"]',
        "gumstack-bootstrap:deployers": '["user:d@gumstack.com"]',
      }),
    ).toThrow('gumstack-bootstrap:releasers.0: must be an IAM member: user:, group:, serviceAccount: or domain: (got "you@example.com")');
    // Preview projects without federation would be an identity nothing can reach.
    expect(() =>
      parseBootstrapConfig({
        ...base,
        "gumstack-bootstrap:releasers": '["user:r@gumstack.com"]',
        "gumstack-bootstrap:deployers": '["user:d@gumstack.com"]',
        "gumstack-bootstrap:previewProjects": '["gumstack-prod"]',
      }),
    ).toThrow(
      "gumstack-bootstrap:previewProjects: needs gumstack-bootstrap:github: the CI preview identity is reachable only through GitHub federation",
    );
  });

  it("creates the CI preview identity, reachable only by the one repository's workflows, reading and writing nothing of the cluster", () => {
    expect(inputs(one(admin, "gcp:serviceaccount/account:Account", "ci-preview")).accountId).toBe("gumstack-ci-preview");
    // Every grant naming it, resource by resource: state read, secrets decrypt, the preview role; nothing else.
    const toIt = admin
      .filter((r) => /iam(member|binding|policy)$/i.test(r.type) && inputs(r).member === CI_PREVIEW)
      .map((r) => [r.type, inputs(r).role])
      .sort();
    expect(toIt).toEqual([
      ["gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "roles/cloudkms.cryptoKeyDecrypter"],
      ["gcp:projects/iAMMember:IAMMember", "projects/gumstack-prod/roles/gumstackCiPreview"],
      ["gcp:storage/bucketIAMMember:BucketIAMMember", "roles/storage.objectViewer"],
    ]);
    // Who may act as it: the federation's principal set of the one repository, as workload identity user only.
    const onIt = ofType(admin, "gcp:serviceaccount/iAMMember:IAMMember").filter((r) => nameOf(r).startsWith("ci-preview"));
    expect(onIt.map((r) => [inputs(r).role, inputs(r).member])).toEqual([
      [
        "roles/iam.workloadIdentityUser",
        expect.stringMatching(
          /^principalSet:\/\/iam\.googleapis\.com\/projects\/\d+\/locations\/global\/workloadIdentityPools\/github\/attribute\.repository\/gumstack\/platform$/,
        ),
      ],
    ]);
    // container.* permissions apply only through a project (or folder, org) grant; its one project grant is this
    // custom role, which holds no container permission at all, so no Secret (get, list or a dry-run patch's answer).
    const role = inputs(one(admin, "gcp:projects/iAMCustomRole:IAMCustomRole", "ci-preview-role-gumstack-prod"));
    expect(role).toMatchObject({ project: "gumstack-prod", roleId: "gumstackCiPreview" });
    expect(role.permissions).toEqual([...CI_PREVIEW_PERMISSIONS]);
    expect(role.permissions.filter((p: string) => p.startsWith("container."))).toEqual([]);
  });

  it("preview.yml authenticates as it and excludes exactly the Kubernetes layer, found from the offline plan", async () => {
    const wf = parse(readFileSync(".github/workflows/preview.yml", "utf8"));
    const steps: any[] = wf.jobs.preview.steps;
    expect(steps.find((x) => String(x.uses).startsWith("google-github-actions/auth@")).with.service_account).toBe(
      "${{ vars.GCP_PREVIEW_SERVICE_ACCOUNT }}",
    );
    expect(readFileSync(".github/workflows/preview.yml", "utf8")).toMatch(
      /GCP_PREVIEW_SERVICE_ACCOUNT +the bootstrap's ciPreviewServiceAccount output/,
    );
    // The workflow's own command, run on the prod plan.
    const find = steps.find((x) => String(x.run).includes("excludes.txt")).run as string;
    const node = /^node -e '(.+)' > excludes\.txt$/m.exec(find)![1]!;
    const dir = mkdtempSync(join(tmpdir(), "gumstack-preview-"));
    const exported = await sharedPlan("prod");
    writeFileSync(join(dir, "plan.json"), JSON.stringify(exported));
    const out = execFileSync(process.execPath, ["-e", node], { cwd: dir, encoding: "utf8" }).trim().split("\n");
    const resources = exported.deployment.resources as PlannedResource[];
    const providers = resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => r.urn);
    expect(providers.length).toBeGreaterThan(0);
    expect(out).toEqual(providers.map((u) => `--exclude=${u}`));
    // Every Kubernetes object names one of them as its provider, so --exclude-dependents leaves none in the preview.
    const k8s = resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(k8s.length).toBeGreaterThan(50);
    // A provider reference is `<urn>::<id>` in a real state, the bare URN in the offline plan.
    const ref = (r: PlannedResource) => String((r as { provider?: string }).provider);
    for (const r of k8s)
      expect(
        providers.some((u) => ref(r) === u || ref(r).startsWith(`${u}::`)),
        r.urn,
      ).toBe(true);
    const preview = steps.find((x) => /^pulumi preview /.test(String(x.run))).run as string;
    expect(preview).toMatch(/ \$\(cat excludes\.txt\) --exclude-dependents /);
  }, 60_000);

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

  it("plans with npm run plan -- --program bootstrap --stack admin once the required lists are set; an unknown program is a usage error", async () => {
    // As committed, the file names no releaser and no deployer: refused, each key named with an example (the CLI
    // exits 1 on it, as on every config error).
    expect(() => parseBootstrapConfig(adminFile.config)).toThrow(
      /gumstack-bootstrap:releasers: is required: .* e\.g\. \["user:you@example\.com"\] \(set it in bootstrap\/Pulumi\.admin\.yaml\)\n {2}- gumstack-bootstrap:deployers: is required: /,
    );
    const dir = mkdtempSync(join(tmpdir(), "gumstack-bootstrap-"));
    const file = join(dir, "Pulumi.admin.yaml");
    const doc = parse(readFileSync("bootstrap/Pulumi.admin.yaml", "utf8"));
    doc.config["gumstack-bootstrap:releasers"] = ["user:you@example.com"];
    doc.config["gumstack-bootstrap:deployers"] = ["user:you@example.com"];
    writeFileSync(file, stringify(doc));
    const r = await run(planCli, "--program", "bootstrap", "--stack", "admin", "--config-file", file, "--quiet");
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^ {2}platformImagesRepository: us-west1-docker\.pkg\.dev\/gumstack-admin\/gumstack-platform$/m);
    const bad = await run(planCli, "--program", "bootstrapp", "--stack", "admin");
    expect(bad).toMatchObject({ code: 2, err: "error: --program: 'bootstrapp' is not a program here; platform or bootstrap" });
    const missing = await run(planCli, "--program", "bootstrap", "--stack", "prod");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^error: no stack 'prod': .*bootstrap\/Pulumi\.prod\.yaml does not exist; stacks here: admin$/);
  });
});
