// The first deploy's critical path: the longest chain of creations through the plan's dependency graph, each
// resource weighted by how long its creation typically blocks what depends on it. The weights are estimates for
// a fresh project in one region; each says where it comes from. They rank chains, they do not promise minutes.
import type { PlannedResource } from "./plan.js";

export interface Weight {
  /** Seconds a creation typically blocks its dependents. */
  readonly seconds: number;
  /** Where the figure comes from. */
  readonly basis: string;
}

const PULUMI_K8S_AWAIT = "https://www.pulumi.com/registry/packages/kubernetes/installation-configuration/#await-behavior";
const K8S_OBJECT: Weight = { seconds: 2, basis: `one API call, no readiness await (${PULUMI_K8S_AWAIT})` };
const IAM: Weight = { seconds: 10, basis: "one read-modify-write of the IAM policy (setIamPolicy); estimate" };

/**
 * Typical creation time per resource type. Types not listed weigh `DEFAULT_WEIGHT`; component resources, providers
 * and the stack weigh nothing (they create nothing in the cloud).
 */
export const WEIGHTS: Readonly<Record<string, Weight>> = {
  "gcp:projects/service:Service": {
    seconds: 60,
    basis: "a Service Usage long-running operation, usually under a minute; the API is usable only after (docs/facts.md fact 16)",
  },
  "gcp:projects/serviceIdentity:ServiceIdentity": { seconds: 10, basis: "generateServiceIdentity, one call; estimate" },
  "gcp:organizations/project:Project": { seconds: 30, basis: "projects.create long-running operation; estimate" },
  "gcp:billing/budget:Budget": { seconds: 5, basis: "one Billing Budgets API call; estimate" },
  "gcp:cloudquota/sQuotaPreference:SQuotaPreference": {
    seconds: 5,
    basis: "one Cloud Quotas call: the request is recorded, its approval goes on asynchronously; estimate",
  },
  "gcp:kms/keyRing:KeyRing": { seconds: 5, basis: "one Cloud KMS call; estimate" },
  "gcp:kms/cryptoKey:CryptoKey": { seconds: 5, basis: "one Cloud KMS call (first key version included); estimate" },
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": IAM,
  "gcp:projects/iAMMember:IAMMember": IAM,
  "gcp:serviceaccount/iAMMember:IAMMember": IAM,
  "gcp:storage/bucketIAMMember:BucketIAMMember": IAM,
  "gcp:spanner/databaseIAMMember:DatabaseIAMMember": IAM,
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": IAM,
  "gcp:serviceaccount/account:Account": { seconds: 5, basis: "one IAM call; estimate" },
  "gcp:compute/network:Network": { seconds: 30, basis: "Compute Engine global operation; estimate" },
  "gcp:compute/subnetwork:Subnetwork": { seconds: 30, basis: "Compute Engine regional operation (secondary ranges included); estimate" },
  "gcp:compute/router:Router": { seconds: 20, basis: "Compute Engine regional operation; estimate" },
  "gcp:compute/routerNat:RouterNat": { seconds: 30, basis: "a Cloud Router patch operation; estimate" },
  "gcp:compute/firewall:Firewall": { seconds: 15, basis: "Compute Engine global operation; estimate" },
  "gcp:compute/globalAddress:GlobalAddress": { seconds: 15, basis: "Compute Engine global operation; estimate" },
  "gcp:compute/sSLPolicy:SSLPolicy": { seconds: 15, basis: "Compute Engine global operation; estimate" },
  "gcp:container/cluster:Cluster": {
    seconds: 600,
    basis: "regional private GKE cluster, control plane replicated in three zones: typically 5-10 minutes; upper figure",
  },
  "gcp:container/nodePool:NodePool": {
    seconds: 240,
    basis: "regional node pool, one managed instance group per zone, nodes booted and registered: typically 3-5 minutes",
  },
  "gcp:spanner/instance:Instance": { seconds: 60, basis: "Spanner instance create long-running operation; estimate" },
  "gcp:spanner/database:Database": { seconds: 60, basis: "Spanner database create with CMEK, long-running operation; estimate" },
  "gcp:spanner/backupSchedule:BackupSchedule": { seconds: 5, basis: "one Spanner call; estimate" },
  "gcp:storage/bucket:Bucket": { seconds: 5, basis: "one Cloud Storage call; estimate" },
  "gcp:artifactregistry/repository:Repository": { seconds: 15, basis: "Artifact Registry create long-running operation; estimate" },
  "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": {
    seconds: 10,
    basis: "Certificate Manager long-running operation; estimate",
  },
  "gcp:certificatemanager/certificate:Certificate": {
    seconds: 15,
    basis: "returns once created; Google-managed issuance goes on asynchronously",
  },
  "gcp:certificatemanager/certificateMap:CertificateMap": { seconds: 10, basis: "Certificate Manager long-running operation; estimate" },
  "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry": {
    seconds: 10,
    basis: "Certificate Manager long-running operation; estimate",
  },
  "kubernetes:helm.sh/v3:Release": {
    seconds: 120,
    basis: "Knative Operator chart: the release waits until its Deployments are ready (images pulled on fresh nodes); estimate",
  },
  "kubernetes:operator.knative.dev/v1beta1:KnativeServing": {
    seconds: 240,
    basis: "waitFor condition=Ready: the operator installs Serving and Kourier, webhooks come up (3 replicas each); estimate",
  },
  "kubernetes:apps/v1:Deployment": {
    seconds: 120,
    basis: `Pulumi awaits the rollout: new pods scheduled, images pulled, readiness probes pass (${PULUMI_K8S_AWAIT}); estimate`,
  },
  "kubernetes:core/v1:Service": {
    seconds: 10,
    basis: `Pulumi awaits endpoints: its pods come from a Deployment that is awaited itself (${PULUMI_K8S_AWAIT})`,
  },
  "kubernetes:gateway.networking.k8s.io/v1:Gateway": {
    seconds: 300,
    basis:
      "Pulumi does not await it, but GKE's Gateway controller then provisions the global load balancer (forwarding rules, proxies, URL map), typically several minutes before the edge answers; estimate",
  },
  "kubernetes:apiregistration.k8s.io/v1:APIService": {
    seconds: 10,
    basis: "registered at once; available once its Service answers; estimate",
  },
  "kubernetes:node.k8s.io/v1:RuntimeClass": { seconds: 1, basis: "a read of GKE's own object" },
};

export const DEFAULT_WEIGHT: Weight = K8S_OBJECT;

const SLEEP = "time:index/sleep:Sleep";

/** Seconds of a Go duration such as "120s", "2m" or "1m30s" (what time.Sleep's createDuration takes), or undefined. */
export function durationSeconds(d: unknown): number | undefined {
  if (typeof d !== "string") return undefined;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(d);
  if (!m || d === "") return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** The weight of one planned resource: components, providers and the stack create nothing in the cloud. */
export function weightOf(r: Pick<PlannedResource, "type" | "custom"> & { readonly inputs?: Record<string, unknown> }): Weight {
  if (!r.custom || r.type.startsWith("pulumi:providers:")) return { seconds: 0, basis: "creates nothing (stack, provider or component)" };
  if (r.type === SLEEP) {
    const seconds = durationSeconds(r.inputs?.createDuration);
    if (seconds !== undefined) return { seconds, basis: "a deliberate wait: the Sleep's createDuration (@pulumiverse/time)" };
  }
  return WEIGHTS[r.type] ?? DEFAULT_WEIGHT;
}

export interface PathStep {
  readonly urn: string;
  readonly type: string;
  readonly seconds: number;
  /** Seconds from the start of the deployment until this resource is created. */
  readonly finish: number;
}

/** What a resource waits for before its creation starts: its dependencies, property dependencies and provider. */
export function waitsOn(r: PlannedResource): string[] {
  return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies).flat(), ...(r.provider ? [r.provider] : [])])];
}

/**
 * The longest weighted chain ending at each resource, and the longest overall (the critical path), by the rule
 * the engine follows: a resource starts when everything it waits on is created. Throws on a dependency cycle.
 */
export function criticalPaths(resources: readonly PlannedResource[], weight: (r: PlannedResource) => number = (r) => weightOf(r).seconds) {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const finish = new Map<string, { at: number; via?: string }>();
  const visiting = new Set<string>();
  const visit = (urn: string): number => {
    const done = finish.get(urn);
    if (done) return done.at;
    const r = byUrn.get(urn);
    if (!r) return 0;
    if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
    visiting.add(urn);
    let start = 0;
    let via: string | undefined;
    for (const dep of waitsOn(r)) {
      if (!byUrn.has(dep)) continue; // a default provider: the engine creates it, at no cost
      const at = visit(dep);
      if (via === undefined || at > start) {
        start = at;
        via = dep;
      }
    }
    visiting.delete(urn);
    const at = start + weight(r);
    finish.set(urn, via === undefined ? { at } : { at, via });
    return at;
  };
  for (const r of resources) visit(r.urn);

  /** The chain of creations that ends at `urn`, first to last. */
  const pathTo = (urn: string): PathStep[] => {
    const steps: PathStep[] = [];
    for (let u: string | undefined = urn; u; u = finish.get(u)?.via) {
      const r = byUrn.get(u)!;
      steps.unshift({ urn: u, type: r.type, seconds: weight(r), finish: finish.get(u)!.at });
    }
    return steps.filter((s) => s.seconds > 0);
  };
  let last = resources[0]?.urn;
  for (const r of resources) if ((finish.get(r.urn)?.at ?? 0) > (finish.get(last ?? "")?.at ?? 0)) last = r.urn;
  return { finishOf: (urn: string) => finish.get(urn)?.at ?? 0, pathTo, critical: last ? pathTo(last) : [] };
}
