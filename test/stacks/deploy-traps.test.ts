// Deploy traps over whole plans: values the Terraform provider under @pulumi/gcp would send for what a plan leaves
// unset (or sets) that GCP refuses for this cluster's or project's shape (docs/deploy-traps.md). Every rule runs over
// the plan of every stack file there is, and each is shown to catch its trap on a copy of the plan with the trap put
// back in.
import { describe, expect, it } from "vitest";
import { listStacks } from "../../src/cli/common.js";
import type { PlannedResource } from "../../src/plan/plan.js";
import { nameOf } from "../support/harness.js";
import { sharedPlan } from "../support/plans.js";

type Json = Record<string, any>;
const CLUSTER = "gcp:container/cluster:Cluster";
const POOL = "gcp:container/nodePool:NodePool";

interface Rule {
  readonly name: string;
  /** One line per resource that would be refused. */
  readonly check: (resources: readonly PlannedResource[]) => string[];
  /** Puts the trap back into a plan that passes (mutating it), for the rule's own negative test. */
  readonly breakPlan: (resources: PlannedResource[]) => void;
}

const ofType = (rs: readonly PlannedResource[], type: string) => rs.filter((r) => r.type === type);
const inputs = (r: PlannedResource) => r.inputs as Json;

/** The location segment of a Cloud KMS key id (projects/p/locations/<l>/keyRings/r/cryptoKeys/k). */
const keyLocation = (key: unknown) => /\/locations\/([^/]+)\/keyRings\//.exec(String(key))?.[1];
const isPowerOfTwo = (n: unknown) => typeof n === "number" && n > 0 && (n & (n - 1)) === 0;

const RULES: readonly Rule[] = [
  {
    // expandNodeNetworkConfig (resource_container_node_pool.go) force-sends enable_private_nodes whenever
    // network_config is set: unset goes out as false, which GKE refuses on a cluster with private nodes.
    name: "a node pool with networkConfig on a private-nodes cluster sets enablePrivateNodes true",
    check: (rs) => {
      const privateCluster = ofType(rs, CLUSTER).some((c) => inputs(c).privateClusterConfig?.enablePrivateNodes === true);
      return ofType(rs, POOL)
        .filter((p) => inputs(p).networkConfig !== undefined && privateCluster && inputs(p).networkConfig.enablePrivateNodes !== true)
        .map((p) => `${nameOf(p)}: networkConfig without enablePrivateNodes true is sent as false and refused on a private cluster`);
    },
    breakPlan: (rs) => {
      for (const p of ofType(rs, POOL)) if (inputs(p).networkConfig) delete inputs(p).networkConfig.enablePrivateNodes;
    },
  },
  {
    // GKE refuses auto-upgrade or auto-repair off on a pool of a cluster enrolled in a release channel.
    // https://cloud.google.com/kubernetes-engine/docs/concepts/release-channels
    name: "every node pool of a release-channel cluster keeps auto-upgrade and auto-repair on",
    check: (rs) =>
      ofType(rs, CLUSTER).some((c) => inputs(c).releaseChannel?.channel)
        ? ofType(rs, POOL)
            .filter((p) => inputs(p).management?.autoUpgrade !== true || inputs(p).management?.autoRepair !== true)
            .map((p) => `${nameOf(p)}: management must be {autoRepair: true, autoUpgrade: true} on a release channel`)
        : [],
    breakPlan: (rs) => {
      inputs(ofType(rs, POOL)[0]!).management = { autoRepair: true };
    },
  },
  {
    // GKE Sandbox: COS with containerd only, the sandbox taint is GKE's own (a pool that sets it is refused: "Node
    // taints with key sandbox.gke.io/runtime are managed by GKE"), and a cluster needs a pool without the sandbox.
    // https://cloud.google.com/kubernetes-engine/docs/how-to/sandbox-pods
    name: "a GKE Sandbox pool runs COS_CONTAINERD, sets no sandbox taint, and has a non-sandbox pool beside it",
    check: (rs) => {
      const pools = ofType(rs, POOL);
      const sandboxed = pools.filter((p) => inputs(p).nodeConfig?.sandboxConfig);
      const problems = sandboxed.flatMap((p) => {
        const n = inputs(p).nodeConfig;
        return [
          ...(n.imageType !== "COS_CONTAINERD" ? [`${nameOf(p)}: GKE Sandbox needs imageType COS_CONTAINERD, not ${n.imageType}`] : []),
          ...((n.taints ?? []).some((t: Json) => t.key === "sandbox.gke.io/runtime") ? [`${nameOf(p)}: sets GKE's own sandbox taint`] : []),
        ];
      });
      if (sandboxed.length > 0 && sandboxed.length === pools.length)
        problems.push("every pool is sandboxed: GKE needs one without GKE Sandbox");
      return problems;
    },
    breakPlan: (rs) => {
      const p = ofType(rs, POOL).find((x) => inputs(x).nodeConfig?.sandboxConfig)!;
      inputs(p).nodeConfig.taints = [{ key: "sandbox.gke.io/runtime", value: "gvisor", effect: "NO_SCHEDULE" }];
    },
  },
  {
    // Cloud NAT refuses endpoint-independent mapping with dynamic port allocation, and with DPA the port counts must
    // be powers of two, 32 <= min < max (RouterNat.enableDynamicPortAllocation,
    // https://cloud.google.com/compute/docs/reference/rest/v1/routers).
    name: "a Cloud NAT with dynamic port allocation turns endpoint-independent mapping off and uses power-of-two port counts",
    check: (rs) =>
      ofType(rs, "gcp:compute/routerNat:RouterNat")
        .filter((n) => inputs(n).enableDynamicPortAllocation === true)
        .filter(
          (n) =>
            inputs(n).enableEndpointIndependentMapping !== false ||
            !isPowerOfTwo(inputs(n).minPortsPerVm) ||
            !isPowerOfTwo(inputs(n).maxPortsPerVm) ||
            inputs(n).minPortsPerVm < 32 ||
            inputs(n).minPortsPerVm >= inputs(n).maxPortsPerVm,
        )
        .map((n) => `${nameOf(n)}: DPA needs enableEndpointIndependentMapping false and power-of-two ports, 32 <= min < max`),
    breakPlan: (rs) => {
      delete inputs(ofType(rs, "gcp:compute/routerNat:RouterNat")[0]!).enableEndpointIndependentMapping;
    },
  },
  {
    // CMEK keys must be in the location of what they encrypt: GKE Secrets encryption and boot disks, Cloud Storage,
    // Artifact Registry, Spanner (https://cloud.google.com/kms/docs/cmek, each service's CMEK page).
    name: "every CMEK key is in the location of the resource it encrypts",
    check: (rs) => {
      const out: string[] = [];
      const want = (r: PlannedResource, key: unknown, location: string) => {
        if (key !== undefined && keyLocation(key) !== location)
          out.push(`${nameOf(r)}: key in ${keyLocation(key)}, resource in ${location}`);
      };
      for (const c of ofType(rs, CLUSTER)) want(c, inputs(c).databaseEncryption?.keyName, inputs(c).location);
      for (const p of ofType(rs, POOL)) want(p, inputs(p).nodeConfig?.bootDiskKmsKey, inputs(p).location);
      for (const b of ofType(rs, "gcp:storage/bucket:Bucket"))
        want(b, inputs(b).encryption?.defaultKmsKeyName, String(inputs(b).location).toLowerCase());
      for (const r of ofType(rs, "gcp:artifactregistry/repository:Repository")) want(r, inputs(r).kmsKeyName, inputs(r).location);
      const instances = new Map(ofType(rs, "gcp:spanner/instance:Instance").map((i) => [inputs(i).name, inputs(i).config]));
      for (const d of [...ofType(rs, "gcp:spanner/database:Database"), ...ofType(rs, "gcp:spanner/backupSchedule:BackupSchedule")]) {
        const config = String(instances.get(inputs(d).instance) ?? "");
        want(d, inputs(d).encryptionConfig?.kmsKeyName, config.replace(/^regional-/, ""));
      }
      return out;
    },
    breakPlan: (rs) => {
      const b = ofType(rs, "gcp:storage/bucket:Bucket")[0]!;
      inputs(b).encryption.defaultKmsKeyName = String(inputs(b).encryption.defaultKmsKeyName).replace(
        "/locations/us-west1/",
        "/locations/global/",
      );
    },
  },
  {
    // The control plane's private endpoint needs authorized networks on (the provider sends the block's presence as
    // enabled; expandMasterAuthorizedNetworksConfig, resource_container_cluster.go), and disabling default SNAT needs
    // private nodes (https://cloud.google.com/kubernetes-engine/docs/concepts/ip-masquerade-agent).
    name: "a private-endpoint cluster has authorized networks configured, and default SNAT is off only with private nodes",
    check: (rs) =>
      ofType(rs, CLUSTER).flatMap((c) => {
        const i = inputs(c);
        return [
          ...(i.privateClusterConfig?.enablePrivateEndpoint === true && !i.masterAuthorizedNetworksConfig
            ? [`${nameOf(c)}: a private endpoint without masterAuthorizedNetworksConfig`]
            : []),
          ...(i.defaultSnatStatus?.disabled === true && i.privateClusterConfig?.enablePrivateNodes !== true
            ? [`${nameOf(c)}: default SNAT disabled without private nodes`]
            : []),
        ];
      }),
    breakPlan: (rs) => {
      delete inputs(ofType(rs, CLUSTER)[0]!).masterAuthorizedNetworksConfig;
    },
  },
  {
    // A security policy's rules replace the API's implicit default rule: the list must hold the default rule itself
    // (priority 2147483647 and match "*"): "There must always be a default rule" (the rule field's documentation,
    // resource_compute_security_policy.go).
    name: "every Cloud Armor policy lists its default rule (priority 2147483647)",
    check: (rs) =>
      ofType(rs, "gcp:compute/securityPolicy:SecurityPolicy")
        .filter((p) => !(inputs(p).rules ?? []).some((r: Json) => r.priority === 2147483647))
        .map((p) => `${nameOf(p)}: no rule at priority 2147483647`),
    breakPlan: (rs) => {
      const p = inputs(ofType(rs, "gcp:compute/securityPolicy:SecurityPolicy")[0]!);
      p.rules = p.rules.filter((r: Json) => r.priority !== 2147483647);
    },
  },
  {
    // A backup schedule takes exactly one of full and incremental; the provider sends an empty full spec as {}
    // (expandSpannerBackupScheduleFullBackupSpec, resource_spanner_backup_schedule.go).
    name: "every Spanner backup schedule names exactly one backup type",
    check: (rs) =>
      ofType(rs, "gcp:spanner/backupSchedule:BackupSchedule")
        .filter((b) => (inputs(b).fullBackupSpec !== undefined) === (inputs(b).incrementalBackupSpec !== undefined))
        .map((b) => `${nameOf(b)}: needs exactly one of fullBackupSpec and incrementalBackupSpec`),
    breakPlan: (rs) => {
      delete inputs(ofType(rs, "gcp:spanner/backupSchedule:BackupSchedule")[0]!).fullBackupSpec;
    },
  },
  {
    // A threshold condition on a metric no one has written yet is refused ("Cannot find metric(s) that match type"):
    // Prometheus metrics and user-defined metrics exist only once written. Those alert through PromQL, which GKE's
    // Managed Prometheus answers and Cloud Monitoring does not resolve at creation.
    name: "no threshold alert condition filters on a metric that exists only once written (prometheus, custom, workload, log-based)",
    check: (rs) =>
      ofType(rs, "gcp:monitoring/alertPolicy:AlertPolicy").flatMap((a) =>
        (inputs(a).conditions ?? [])
          .filter((c: Json) =>
            /metric\.type\s*=\s*"(?:prometheus|custom|workload)\.googleapis\.com\/|logging\.googleapis\.com\/user\//.test(
              String(c.conditionThreshold?.filter ?? "") + String(c.conditionAbsent?.filter ?? ""),
            ),
          )
          .map((c: Json) => `${nameOf(a)}: condition "${c.displayName}" filters on a metric that may not exist yet`),
      ),
    breakPlan: (rs) => {
      const a = inputs(ofType(rs, "gcp:monitoring/alertPolicy:AlertPolicy")[0]!);
      a.conditions = [
        ...a.conditions,
        { displayName: "hpa", conditionThreshold: { filter: 'metric.type="prometheus.googleapis.com/kube_hpa/gauge"' } },
      ];
    },
  },
  {
    // A Cloud Quotas increase needs a contact email; the API refuses an increase without one
    // (https://cloud.google.com/docs/quotas/reference/rest/v1/projects.locations.quotaPreferences).
    name: "every quota preference names a contact",
    check: (rs) =>
      ofType(rs, "gcp:cloudquota/sQuotaPreference:SQuotaPreference")
        .filter((q) => !/^[^@\s]+@[^@\s]+$/.test(String(inputs(q).contactEmail ?? "")))
        .map((q) => `${nameOf(q)}: no contactEmail`),
    breakPlan: (rs) => {
      for (const q of ofType(rs, "gcp:cloudquota/sQuotaPreference:SQuotaPreference")) delete inputs(q).contactEmail;
      // prod has no preferences: put one in so the rule has something to refuse.
      if (ofType(rs, "gcp:cloudquota/sQuotaPreference:SQuotaPreference").length === 0)
        rs.push({
          ...rs[0]!,
          urn: "urn:pulumi:s::p::gcp:cloudquota/sQuotaPreference:SQuotaPreference::q",
          type: "gcp:cloudquota/sQuotaPreference:SQuotaPreference",
          inputs: {},
        });
    },
  },
  {
    // Creating a project with a billing account calls Cloud Billing (testIamPermissions, updateBillingInfo) and
    // Service Usage, billed to the caller's quota project unless the provider names one (resource_google_project.go,
    // config.go's X-Goog-User-Project): the project goes through a provider that does.
    name: "a project created with a billing account bills its creation to a named quota project",
    check: (rs) => {
      const providers = new Map(rs.filter((r) => r.type === "pulumi:providers:gcp").map((r) => [r.urn, inputs(r)]));
      return ofType(rs, "gcp:organizations/project:Project")
        .filter((p) => inputs(p).billingAccount)
        .filter((p) => {
          const prov = p.provider ? providers.get(p.provider) : undefined;
          return !prov || String(prov.userProjectOverride) !== "true" || !prov.billingProject;
        })
        .map((p) => `${nameOf(p)}: created without a provider that sets billingProject and userProjectOverride`);
    },
    breakPlan: (rs) => {
      const p = ofType(rs, "gcp:organizations/project:Project")[0];
      if (p) delete p.provider;
      else
        rs.push({
          ...rs[0]!,
          urn: "urn:pulumi:s::p::gcp:organizations/project:Project::x",
          type: "gcp:organizations/project:Project",
          inputs: { billingAccount: "A" },
        });
    },
  },
];

const stacks = listStacks();

describe.each(stacks)("the %s stack's plan", async (stack) => {
  const resources = (await sharedPlan(stack)).deployment.resources;

  it.each(RULES.map((r) => [r.name, r] as const))("%s", (_name, rule) => {
    expect(rule.check(resources)).toEqual([]);
  });
});

describe("each rule catches its trap", async () => {
  // prod and enterprise are the two kinds of stack; both carry every resource type the rules read.
  const plans = await Promise.all(["prod", "enterprise"].map(async (s) => (await sharedPlan(s)).deployment.resources));
  it.each(RULES.map((r) => [r.name, r] as const))("%s", (_name, rule) => {
    for (const resources of plans) {
      const broken = structuredClone(resources);
      rule.breakPlan(broken);
      expect(rule.check(broken).length, rule.name).toBeGreaterThan(0);
    }
  });
});

describe("the stacks this suite reads", () => {
  it("include a platform and an enterprise stack", () => {
    expect(stacks).toEqual(expect.arrayContaining(["prod", "enterprise"]));
  });
});
