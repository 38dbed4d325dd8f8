// The bootstrap: what must exist in the admin project before any platform stack can be deployed in one pass.
//   - the Pulumi state bucket (versioned, uniform access, public access prevention, protected)
//   - the stack-secrets KMS key ring and key (rotated, protected, never deleted)
//   - the platform-images Docker repository (immutable tags: every platform image is referenced by digest)
//   - the release identity, the ONLY writer of that repository, optionally reachable from one GitHub
//     repository's workflows on one ref through Workload Identity Federation
// Read access for each stack's nodes is granted by that stack itself, so this program knows no platform stack.
import * as artifactregistry from "../components/sdk/gcp/artifactregistry.js";
import * as iam from "../components/sdk/gcp/iam.js";
import * as kms from "../components/sdk/gcp/kms.js";
import * as organizations from "../components/sdk/gcp/organizations.js";
import * as projects from "../components/sdk/gcp/projects.js";
import * as serviceaccount from "../components/sdk/gcp/serviceaccount.js";
import * as storage from "../components/sdk/gcp/storage.js";
import * as pulumi from "@pulumi/pulumi";
import { BootstrapConfigError, parseBootstrapConfig, type BootstrapConfig } from "./config.js";

/** The APIs the admin project needs; never disabled on destroy (other tooling may rely on them). */
export const BOOTSTRAP_APIS = [
  "serviceusage.googleapis.com",
  "cloudresourcemanager.googleapis.com",
  "storage.googleapis.com",
  "cloudkms.googleapis.com",
  "artifactregistry.googleapis.com",
  "iam.googleapis.com",
  // Minting the release identity's tokens (impersonation, and federation's token exchange).
  "iamcredentials.googleapis.com",
  "sts.googleapis.com",
  // Cloud Billing calls (an enterprise stack links its customer project to a billing account) are counted to the
  // caller's quota project; the admin project can be that project for every deployer
  // (gcloud auth application-default set-quota-project): https://cloud.google.com/docs/quotas/set-quota-project
  "cloudbilling.googleapis.com",
] as const;

/** The custom role the CI preview identity gets in each preview project: docs/deploy-lifecycle.md "The CI preview identity". */
export const CI_PREVIEW_PERMISSIONS = [
  // The program's two reads outside the state: organizations.getProject and storage.getProjectServiceAccount
  // (https://cloud.google.com/storage/docs/json_api/v1/projects/serviceAccount/get).
  "resourcemanager.projects.get",
] as const;

/** Deployers' one project-wide role in the admin project: using it as their quota project, nothing else. */
export const DEPLOYER_QUOTA_ROLE = "roles/serviceusage.serviceUsageConsumer";

/** GitHub's OIDC issuer: https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect */
export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * The provider's attribute condition: only tokens of `repository` on `ref` are accepted. Google requires a
 * condition for GitHub providers and advises one that names the repository
 * (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions).
 */
export function githubCondition(repository: string, ref: string): string {
  return `assertion.repository == ${JSON.stringify(repository)} && assertion.ref == ${JSON.stringify(ref)}`;
}

export function buildBootstrap(cfg: BootstrapConfig): Record<string, unknown> {
  const { project, region } = cfg;
  const apis = Object.fromEntries(
    BOOTSTRAP_APIS.map((service) => [
      service,
      new projects.Service(`api-${service.split(".")[0]}`, {
        project,
        service,
        disableOnDestroy: false,
        disableDependentServices: false,
      }),
    ]),
  ) as Record<(typeof BOOTSTRAP_APIS)[number], projects.Service>;

  // --- state -------------------------------------------------------------------------------------------------
  // Versioning keeps every earlier checkpoint; soft delete (7 days, the default) covers a deleted object.
  // https://cloud.google.com/storage/docs/object-versioning, https://cloud.google.com/storage/docs/soft-delete
  const state = new storage.Bucket(
    "state",
    {
      project,
      name: cfg.stateBucket,
      location: region.toUpperCase(),
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      lifecycleRules: [{ action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 90, withState: "ARCHIVED" } }],
      forceDestroy: false,
      deletionPolicy: "PREVENT",
      labels: { purpose: "pulumi-state", "managed-by": "pulumi" },
    },
    { protect: true, dependsOn: [apis["storage.googleapis.com"]] },
  );

  // --- stack secrets -------------------------------------------------------------------------------------------
  // Key rings and keys cannot be deleted in Cloud KMS (https://cloud.google.com/kms/docs/resource-hierarchy#lifetime).
  const keyRing = new kms.KeyRing(
    "secrets-ring",
    { project, name: cfg.keyRing, location: "global" },
    { protect: true, dependsOn: [apis["cloudkms.googleapis.com"]] },
  );
  const secretsKey = new kms.CryptoKey(
    "secrets-key",
    {
      keyRing: keyRing.id,
      name: cfg.secretsKey,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: `${cfg.rotationDays * 86400}s`,
      deletionPolicy: "PREVENT",
      labels: { purpose: "pulumi-stack-secrets", "managed-by": "pulumi" },
    },
    { protect: true },
  );

  // --- platform images and the release identity -----------------------------------------------------------------
  // Immutable tags: a tag, once pushed, never points at other bytes; stacks pin digests anyway.
  // https://cloud.google.com/artifact-registry/docs/docker/manage-images#immutable-tags
  const repository = new artifactregistry.Repository(
    "platform-images",
    {
      project,
      location: region,
      repositoryId: cfg.platformImagesRepository,
      format: "DOCKER",
      description: "Gumstack platform images (backend, builder, canary); written only by the release identity",
      dockerConfig: { immutableTags: true },
      labels: { purpose: "platform-images", "managed-by": "pulumi" },
    },
    { protect: true, dependsOn: [apis["artifactregistry.googleapis.com"]] },
  );
  const release = new serviceaccount.Account(
    "release",
    { project, accountId: cfg.releaseAccountId, displayName: "Gumstack release: publishes platform images" },
    { dependsOn: [apis["iam.googleapis.com"]] },
  );
  // The one write grant on the repository, on the repository only (never project-wide).
  new artifactregistry.RepositoryIamMember("platform-images-release-writer", {
    project,
    location: region,
    repository: repository.repositoryId,
    role: "roles/artifactregistry.writer",
    member: release.member,
  });
  // Who may act as the release identity: the listed releasers (token creator on it) ...
  cfg.releasers.forEach(
    (m, i) =>
      new serviceaccount.IAMMember(`release-token-creator-${i}`, {
        serviceAccountId: release.name,
        role: "roles/iam.serviceAccountTokenCreator",
        member: m,
      }),
  );
  // ... and, through federation, workflows of one GitHub repository on one ref.
  let workloadIdentityProvider: pulumi.Output<string> | undefined;
  let ciPreviewServiceAccount: pulumi.Output<string> | undefined;
  if (cfg.github) {
    const gh = cfg.github;
    const projectNumber = organizations.getProjectOutput({ projectId: project }).apply((p) => p.number!);
    const pool = new iam.WorkloadIdentityPool(
      "github-pool",
      { project, workloadIdentityPoolId: gh.poolId, displayName: "GitHub Actions", description: `Workflows of ${gh.repository}` },
      { dependsOn: [apis["iam.googleapis.com"], apis["sts.googleapis.com"]] },
    );
    const provider = new iam.WorkloadIdentityPoolProvider("github-provider", {
      project,
      workloadIdentityPoolId: pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: "github-actions",
      displayName: "GitHub Actions OIDC",
      attributeMapping: {
        "google.subject": "assertion.sub",
        "attribute.repository": "assertion.repository",
        "attribute.ref": "assertion.ref",
      },
      attributeCondition: githubCondition(gh.repository, gh.ref),
      oidc: { issuerUri: GITHUB_ISSUER },
    });
    // Every token the provider accepts (its attributeCondition: this repository, this ref) maps into this set.
    const workflows = pulumi.interpolate`principalSet://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${gh.poolId}/attribute.repository/${gh.repository}`;
    new serviceaccount.IAMMember(
      "release-github-workload-identity",
      { serviceAccountId: release.name, role: "roles/iam.workloadIdentityUser", member: workflows },
      { dependsOn: [provider] },
    );
    workloadIdentityProvider = pulumi.interpolate`projects/${projectNumber}/locations/global/workloadIdentityPools/${gh.poolId}/providers/github-actions`;

    // The CI preview identity: what .github/workflows/preview.yml authenticates as. It reads the state, decrypts
    // the stacks' secrets (every preview runs the program with its config) and reads the platform projects;
    // it never writes the state, the images or the cluster (docs/deploy-lifecycle.md "The CI preview identity").
    const preview = new serviceaccount.Account(
      "ci-preview",
      {
        project,
        accountId: cfg.previewAccountId,
        displayName: "Gumstack CI preview: pulumi preview from GitHub Actions",
        description: `Federated from ${gh.repository} on ${gh.ref}; reads state and preview projects, writes nothing`,
      },
      { dependsOn: [apis["iam.googleapis.com"]] },
    );
    new serviceaccount.IAMMember(
      "ci-preview-github-workload-identity",
      { serviceAccountId: preview.name, role: "roles/iam.workloadIdentityUser", member: workflows },
      { dependsOn: [provider] },
    );
    // A preview reads the checkpoint and writes nothing, no lock either (pulumi pkg/backend/diy/backend.go:
    // Preview calls apply with DryRun, without Lock; history and backups only when not DryRun).
    new storage.BucketIAMMember("state-ci-preview", { bucket: state.name, role: "roles/storage.objectViewer", member: preview.member });
    // Decrypt only: the stack's data key is unwrapped with it; encrypting is for stack init and secret changes.
    new kms.CryptoKeyIAMMember("secrets-ci-preview", {
      cryptoKeyId: secretsKey.id,
      role: "roles/cloudkms.cryptoKeyDecrypter",
      member: preview.member,
    });
    for (const previewProject of cfg.previewProjects) {
      const role = new projects.IAMCustomRole(`ci-preview-role-${previewProject}`, {
        project: previewProject,
        roleId: "gumstackCiPreview",
        title: "Gumstack CI preview",
        description: `What ${cfg.previewAccountId} needs to preview the platform stack of this project (bootstrap/)`,
        permissions: [...CI_PREVIEW_PERMISSIONS],
        stage: "GA",
      });
      new projects.IAMMember(`ci-preview-${previewProject}`, {
        project: previewProject,
        role: pulumi.interpolate`projects/${previewProject}/roles/${role.roleId}`,
        member: preview.member,
      });
    }
    ciPreviewServiceAccount = preview.email;
  }

  // --- deployers: state, secrets, and the platform stacks' read grants --------------------------------------
  // Each platform stack grants its own node service account read on the platform images (so this program
  // knows no stack): its deployer must set the repository's IAM policy. A custom role with exactly that, on the
  // repository only; no registry role with write. (Whoever may set IAM policy could grant write: deployers are
  // trusted like the release identity's owners, README "Who may write the platform images".)
  const grantor = new projects.IAMCustomRole(
    "platform-images-grantor",
    {
      project,
      roleId: "platformImagesGrantor",
      title: "Platform images grantor",
      description: "Grants read on the platform-images repository to platform stacks' node service accounts",
      permissions: [
        "artifactregistry.repositories.get",
        "artifactregistry.repositories.getIamPolicy",
        "artifactregistry.repositories.setIamPolicy",
      ],
      stage: "GA",
    },
    { dependsOn: [apis["iam.googleapis.com"]] },
  );
  cfg.deployers.forEach((m, i) => {
    new storage.BucketIAMMember(`state-deployer-${i}`, { bucket: state.name, role: "roles/storage.objectAdmin", member: m });
    // The admin project as the deployer's quota project (Cloud Billing and other client-billed APIs).
    new projects.IAMMember(`quota-deployer-${i}`, { project, role: DEPLOYER_QUOTA_ROLE, member: m });
    new kms.CryptoKeyIAMMember(`secrets-deployer-${i}`, {
      cryptoKeyId: secretsKey.id,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: m,
    });
    new artifactregistry.RepositoryIamMember(`platform-images-deployer-${i}`, {
      project,
      location: region,
      repository: repository.repositoryId,
      role: pulumi.interpolate`projects/${project}/roles/${grantor.roleId}`,
      member: m,
    });
  });

  const platformImages = pulumi.interpolate`${region}-docker.pkg.dev/${project}/${repository.repositoryId}`;
  return {
    stateBackend: pulumi.interpolate`gs://${state.name}`,
    secretsProvider: pulumi.interpolate`gcpkms://projects/${project}/locations/global/keyRings/${keyRing.name}/cryptoKeys/${secretsKey.name}`,
    // The value of every platform stack's gumstack:platformImages.repository.
    platformImagesRepository: platformImages,
    registryLoginCommand: `gcloud auth configure-docker ${region}-docker.pkg.dev`,
    releaseServiceAccount: release.email,
    ...(workloadIdentityProvider ? { workloadIdentityProvider } : {}),
    // The value of the repository variable GCP_PREVIEW_SERVICE_ACCOUNT (.github/workflows/preview.yml).
    ...(ciPreviewServiceAccount ? { ciPreviewServiceAccount } : {}),
  };
}

/** The program: validate the config (one clear error, no resource planned), then build. */
export async function program(): Promise<Record<string, unknown>> {
  let cfg: BootstrapConfig;
  try {
    cfg = parseBootstrapConfig(pulumi.runtime.allConfig());
  } catch (e) {
    if (e instanceof BootstrapConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
  return buildBootstrap(cfg);
}
