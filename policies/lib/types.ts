// Pulumi type tokens of the resources the pack checks (as the providers name them, see each SDK's __pulumiType).
export const GKE_CLUSTER = "gcp:container/cluster:Cluster";
export const GKE_NODE_POOL = "gcp:container/nodePool:NodePool";
export const SUBNETWORK = "gcp:compute/subnetwork:Subnetwork";
export const SSL_POLICY = "gcp:compute/sSLPolicy:SSLPolicy";
export const AR_REPOSITORY = "gcp:artifactregistry/repository:Repository";
export const KMS_CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey";
export const SPANNER_INSTANCE = "gcp:spanner/instance:Instance";
export const SPANNER_DATABASE = "gcp:spanner/database:Database";
export const STORAGE_BUCKET = "gcp:storage/bucket:Bucket";
export const SECURITY_POLICY = "gcp:compute/securityPolicy:SecurityPolicy";
export const ROUTER_NAT = "gcp:compute/routerNat:RouterNat";

export const K8S_NAMESPACE = "kubernetes:core/v1:Namespace";
export const K8S_SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount";
export const K8S_SERVICE = "kubernetes:core/v1:Service";
export const K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const K8S_VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
export const K8S_VAP_BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
export const KNATIVE_SERVING = "kubernetes:operator.knative.dev/v1beta1:KnativeServing";
export const K8S_HTTP_ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
export const GKE_BACKEND_POLICY = "kubernetes:networking.gke.io/v1:GCPBackendPolicy";

/**
 * Every GCP IAM grant resource: <Thing>IAMMember / IAMBinding / IAMPolicy and the IamMember spellings
 * (gcp:projects/iAMMember:IAMMember, gcp:storage/bucketIAMMember:BucketIAMMember,
 * gcp:artifactregistry/repositoryIamMember:RepositoryIamMember, ...), 475 types in @pulumi/gcp 9.
 * IamMemberRemove and audit configs grant nothing.
 */
export function isIamGrant(type: string): boolean {
  return /^gcp:[^:]+:[A-Za-z0-9]*IAM(Member|Binding|Policy)$/i.test(type);
}
