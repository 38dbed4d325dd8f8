// The pack's policies, one per file; both the Pulumi CLI (policies/index.ts) and the offline check
// (src/cli/policy.ts) take them from here. Imports are extensionless on purpose: the CLI loads the pack
// as CommonJS through ts-node, which does not map ".js" specifiers to ".ts" files.
import type { PolicyPackArgs } from "@pulumi/policy";
import { artifactRegistryRepositoryCleanup } from "./artifact-registry-repository-cleanup";
import { computeRouterNatTenantEgressApart } from "./compute-router-nat-tenant-egress-apart";
import { computeSecurityPolicyAttachedToBackends } from "./compute-security-policy-attached-to-backends";
import { computeSecurityPolicyEdgeContent } from "./compute-security-policy-edge-content";
import { computeSslPolicyModernTls } from "./compute-ssl-policy-modern-tls";
import { gkeClusterControlPlanePrivate } from "./gke-cluster-control-plane-private";
import { gkeClusterDeletionProtection } from "./gke-cluster-deletion-protection";
import { gkeClusterNetworkPolicyEnforcement } from "./gke-cluster-network-policy-enforcement";
import { gkeClusterPrivateNodes } from "./gke-cluster-private-nodes";
import { gkeClusterSecretsEncryption } from "./gke-cluster-secrets-encryption";
import { gkeClusterShieldedNodes } from "./gke-cluster-shielded-nodes";
import { gkeClusterWorkloadIdentity } from "./gke-cluster-workload-identity";
import { gkeNodePoolDedicatedServiceAccount } from "./gke-node-pool-dedicated-service-account";
import { gkeNodePoolGkeMetadata } from "./gke-node-pool-gke-metadata";
import { gkeNodePoolKubeletReadonlyPortOff } from "./gke-node-pool-kubelet-readonly-port-off";
import { gkeNodePoolMcpOwnServiceAccount } from "./gke-node-pool-mcp-own-service-account";
import { gkeNodePoolMcpSandbox } from "./gke-node-pool-mcp-sandbox";
import { gkeNodePoolSecureBoot } from "./gke-node-pool-secure-boot";
import { iamGrantEnterpriseForeignProjectReadOnly } from "./iam-grant-enterprise-foreign-project-read-only";
import { iamGrantNoClusterKubernetesAccess } from "./iam-grant-no-cluster-kubernetes-access";
import { iamGrantNoClusterWritePlatformImages } from "./iam-grant-no-cluster-write-platform-images";
import { iamGrantNoMcpIdentity } from "./iam-grant-no-mcp-identity";
import { k8sBuildAdmissionGuardBound } from "./k8s-build-admission-guard-bound";
import { k8sBuildNetworkpolicyFenced } from "./k8s-build-networkpolicy-fenced";
import { k8sMcpAdmissionGuardBound } from "./k8s-mcp-admission-guard-bound";
import { k8sMcpNamespacePodSecurityRestricted } from "./k8s-mcp-namespace-pod-security-restricted";
import { k8sMcpNetworkpolicyDefaultDeny } from "./k8s-mcp-networkpolicy-default-deny";
import { k8sMcpNetworkpolicyIsolation } from "./k8s-mcp-networkpolicy-isolation";
import { k8sMcpNetworkpolicyReachability } from "./k8s-mcp-networkpolicy-reachability";
import { k8sMcpServiceAccountNoTokenAutomount } from "./k8s-mcp-service-account-no-token-automount";
import { k8sMcpServiceMonitoringScope } from "./k8s-mcp-service-monitoring-scope";
import { k8sMcpServiceAccountNoWorkloadIdentity } from "./k8s-mcp-service-account-no-workload-identity";
import { k8sMcpServiceNoExternalExposure } from "./k8s-mcp-service-no-external-exposure";
import { k8sMcpWorkloadAllowedRegistries } from "./k8s-mcp-workload-allowed-registries";
import { k8sMcpWorkloadGvisorRuntime } from "./k8s-mcp-workload-gvisor-runtime";
import { k8sMcpWorkloadNoHostNamespaces } from "./k8s-mcp-workload-no-host-namespaces";
import { k8sMcpWorkloadNoTokenAutomount } from "./k8s-mcp-workload-no-token-automount";
import { k8sMcpWorkloadNotPrivileged } from "./k8s-mcp-workload-not-privileged";
import { k8sMcpWorkloadPodSecurityRestricted } from "./k8s-mcp-workload-pod-security-restricted";
import { k8sRbacBindingNoMcpSubjects } from "./k8s-rbac-binding-no-mcp-subjects";
import { k8sRbacBindingTenantNamespaceLeastPrivilege } from "./k8s-rbac-binding-tenant-namespace-least-privilege";
import { k8sMcpNetworkpolicyEnvelope } from "./k8s-mcp-networkpolicy-envelope";
import { kmsCryptoKeyRotation } from "./kms-crypto-key-rotation";
import { knativeServingConfigSafe } from "./knative-serving-config-safe";
import { knativeServingKourierClusterIp } from "./knative-serving-kourier-cluster-ip";
import { knativeServingRuntimeClassEnabled } from "./knative-serving-runtime-class-enabled";
import { spannerDatabaseDropProtection } from "./spanner-database-drop-protection";
import { spannerInstanceDeletionProtection } from "./spanner-instance-deletion-protection";
import { storageBucketPublicAccessPrevention } from "./storage-bucket-public-access-prevention";
import { storageBucketUniformAccess } from "./storage-bucket-uniform-access";

export const PACK_NAME = "gumstack-isolation";

export const policies: PolicyPackArgs["policies"] = [
  // GKE cluster
  gkeClusterNetworkPolicyEnforcement,
  gkeClusterWorkloadIdentity,
  gkeClusterPrivateNodes,
  gkeClusterShieldedNodes,
  gkeClusterSecretsEncryption,
  gkeClusterDeletionProtection,
  gkeClusterControlPlanePrivate,
  // GKE node pools
  gkeNodePoolGkeMetadata,
  gkeNodePoolDedicatedServiceAccount,
  gkeNodePoolMcpSandbox,
  gkeNodePoolMcpOwnServiceAccount,
  gkeNodePoolSecureBoot,
  gkeNodePoolKubeletReadonlyPortOff,
  // The MCP namespace and what runs in it
  k8sMcpNamespacePodSecurityRestricted,
  k8sMcpNetworkpolicyDefaultDeny,
  k8sMcpNetworkpolicyIsolation,
  k8sMcpNetworkpolicyReachability,
  k8sMcpServiceAccountNoWorkloadIdentity,
  k8sMcpServiceAccountNoTokenAutomount,
  k8sMcpWorkloadGvisorRuntime,
  k8sMcpWorkloadNoHostNamespaces,
  k8sMcpWorkloadNotPrivileged,
  k8sMcpWorkloadPodSecurityRestricted,
  k8sMcpWorkloadNoTokenAutomount,
  k8sMcpWorkloadAllowedRegistries,
  k8sMcpServiceNoExternalExposure,
  k8sMcpServiceMonitoringScope,
  k8sMcpAdmissionGuardBound,
  k8sRbacBindingNoMcpSubjects,
  k8sRbacBindingTenantNamespaceLeastPrivilege,
  k8sMcpNetworkpolicyEnvelope,
  iamGrantNoMcpIdentity,
  iamGrantNoClusterKubernetesAccess,
  // The image supply chain
  iamGrantNoClusterWritePlatformImages,
  iamGrantEnterpriseForeignProjectReadOnly,
  // The build plane
  k8sBuildNetworkpolicyFenced,
  k8sBuildAdmissionGuardBound,
  // Knative Serving
  knativeServingKourierClusterIp,
  knativeServingRuntimeClassEnabled,
  knativeServingConfigSafe,
  // Edge and egress
  computeSecurityPolicyAttachedToBackends,
  computeSecurityPolicyEdgeContent,
  computeRouterNatTenantEgressApart,
  // Edge, registry, keys, data
  computeSslPolicyModernTls,
  artifactRegistryRepositoryCleanup,
  kmsCryptoKeyRotation,
  spannerDatabaseDropProtection,
  spannerInstanceDeletionProtection,
  storageBucketUniformAccess,
  storageBucketPublicAccessPrevention,
];

/** Everything of the PolicyPack but its policies (the version comes from package.json). */
export const packArgs: Omit<PolicyPackArgs, "policies"> = {
  displayName: "Gumstack isolation",
  description:
    "Isolation of customer MCP servers on GKE (gVisor, NetworkPolicies, no credentials) and the platform's data-protection rules.",
  // Every policy sets its own level; anything new without one is advisory until decided.
  enforcementLevel: "advisory",
  provider: "gcp",
  tags: ["gke", "kubernetes", "knative", "isolation"],
};
