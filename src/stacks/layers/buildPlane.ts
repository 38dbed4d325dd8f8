// The build plane: customers' Dockerfiles, one Job per build (components/kubernetes/buildJob.ts). The build
// namespace, its NetworkPolicies and admission guard, the backend's RBAC there, and the image pusher.
import type * as pulumi from "@pulumi/pulumi";
import { BinaryAuthorization } from "../../../components/gcp/binaryAuthorization.js";
import { ImagePusher } from "../../../components/gcp/imagePusher.js";
import { LiveImageTagger } from "../../../components/gcp/liveImageTagger.js";
import { BackendBuildAccess } from "../../../components/kubernetes/backendBuildAccess.js";
import { BuildAdmissionGuard } from "../../../components/kubernetes/buildAdmissionPolicies.js";
import { BuildNamespace } from "../../../components/kubernetes/buildNamespace.js";
import { BuildNetworkPolicies } from "../../../components/kubernetes/buildNetworkPolicies.js";
import { BUILD_IMAGE_PATH } from "../../../components/kubernetes/platformTenants.js";
import type { Settings } from "../../config/index.js";
import { namespaceQuotas } from "../../config/quota.js";
import type { BaseLayer } from "./base.js";
import type { GkeLayer } from "./gke.js";
import { policyRanges, type TenancyLayer } from "./tenancy.js";

/** What the layers above use from the build plane. */
export interface BuildPlaneLayer {
  readonly namespace: Pick<BuildNamespace, "namespaceName" | "serviceAccountName">;
  /** The build guard's ValidatingAdmissionPolicy names. */
  readonly admissionPolicies: pulumi.Output<string>[];
  /** The image pusher's email (the backend mints its tokens per build). */
  readonly pusherEmail: pulumi.Output<string>;
  /**
   * What the backend waits for before it can run a build: its RBAC in the build namespace (granted only once the
   * namespace is fenced and guarded) and the pusher it mints tokens for.
   */
  readonly backendReady: readonly pulumi.Resource[];
}

export function buildPlaneLayer(settings: Settings, base: BaseLayer, gke: GkeLayer, tenancy: TenancyLayer): BuildPlaneLayer {
  const { project, region, environment } = settings;
  const { provider } = gke;
  const build = settings.build;
  // The build share of the gVisor pool the MCP namespace also runs on (src/config/quota.ts), unless set explicitly.
  const quotas = namespaceQuotas(settings).build;
  // Fenced and guarded before anything can build: the backend gets its build RBAC only after the namespace's
  // NetworkPolicies and admission guard exist, and the backend waits for that RBAC.
  const buildNs = new BuildNamespace("build", {
    provider,
    namespace: build.namespace,
    maxConcurrentBuilds: quotas.pods,
    maxCpu: build.cpu,
    maxMemory: build.memory,
    maxEphemeralStorage: build.ephemeralStorage,
    quotaCpu: quotas.cpu,
    quotaMemory: quotas.memory,
    quotaEphemeralStorage: build.quotaEphemeralStorage,
  });
  const buildPolicies = new BuildNetworkPolicies("build-netpol", {
    provider,
    namespace: build.namespace,
    ranges: policyRanges(settings),
    dependsOn: [buildNs.namespace],
  });
  const buildGuard = new BuildAdmissionGuard("build-admission", {
    provider,
    namespace: build.namespace,
    // Every build container is the release identity's copy of the builder under the reserved build path of the
    // tenant MCP repository (the only repository the MCP pool's nodes can pull from; docs/build-plane.md).
    builderImagePrefix: `${base.tenantImageRepository}/${BUILD_IMAGE_PATH}/`,
    // Every push goes to <this repository>/<tenant label>/<server label>:<sha>.
    imageRepository: base.tenantImageRepository,
    maxDeadlineSeconds: build.deadlineSeconds,
    maxTtlSecondsAfterFinished: build.ttlSecondsAfterFinished,
  });
  const backendBuilds = new BackendBuildAccess("backend-build-access", {
    provider,
    buildNamespace: build.namespace,
    backendNamespace: tenancy.backend.namespace,
    backendServiceAccount: tenancy.backend.serviceAccount,
    dependsOn: [buildNs, buildPolicies, buildGuard],
  });
  // Pushes what a build produced to the tenant MCP repository, with tokens the backend mints per build.
  const pusher = new ImagePusher("pusher", {
    project,
    environment,
    repository: { project, location: region, repositoryId: base.registry.repository.repositoryId },
    tokenMinter: base.accounts.backend.member,
    dependsOn: [base.apis.iam],
  });
  // The backend marks what its Revisions run (live- tags), which the repository's cleanup never deletes.
  const tagger = new LiveImageTagger("live-tagger", {
    project,
    environment,
    repository: { project, location: region, repositoryId: base.registry.repository.repositoryId },
    member: base.accounts.backend.member,
    dependsOn: [base.apis.iam],
  });
  // Provenance the cluster enforces (the cluster evaluates this project policy: layers/gke.ts): only images the
  // build plane's signer or the release identity attested. Dry run until the signers run (docs/supply-chain.md).
  new BinaryAuthorization("binauthz", {
    project,
    environment,
    keyRingId: base.keyRingId,
    releaseIdentityEmail: settings.platformImages.releaseIdentity,
    allowDestroy: settings.allowDestroy,
    dependsOn: [base.apis.binaryauthorization, base.apis.containeranalysis],
  });
  return {
    namespace: buildNs,
    admissionPolicies: buildGuard.policyNames,
    pusherEmail: pusher.email,
    backendReady: [backendBuilds, pusher, tagger],
  };
}
