import { platformRule, stackPolicy, type StackResource } from "../lib/policy";
import { asArray, at, cannotVerify, UNKNOWN } from "../lib/props";
import { GKE_CLUSTER, GKE_NODE_POOL, ROUTER_NAT } from "../lib/types";

/** A GCP resource's name input, else its Pulumi name. */
const gcpName = (r: StackResource): string => {
  const n = at(r.props, "name");
  return typeof n === "string" ? n : r.name;
};

const isMcpPool = (p: StackResource): boolean => {
  const type = at(p.props, "nodeConfig.sandboxConfig.type") ?? at(p.props, "nodeConfig.sandboxConfig.sandboxType");
  return typeof type === "string" && type.toUpperCase() === "GVISOR";
};

/** The secondary range names a NAT serves, or "all" when it serves every range of a subnet (or of every subnet). */
function servedRanges(nat: StackResource): { all: boolean; primary: boolean; secondary: string[] } {
  const mode = at(nat.props, "sourceSubnetworkIpRangesToNat");
  if (mode === "ALL_SUBNETWORKS_ALL_IP_RANGES") return { all: true, primary: true, secondary: [] };
  if (mode === "ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES") return { all: false, primary: true, secondary: [] };
  let all = false;
  let primary = false;
  const secondary: string[] = [];
  for (const s of asArray(at(nat.props, "subnetworks"))) {
    const kinds = asArray(at(s, "sourceIpRangesToNats"));
    if (kinds.indexOf("ALL_IP_RANGES") >= 0) all = true;
    if (kinds.indexOf("PRIMARY_IP_RANGE") >= 0) primary = true;
    if (kinds.indexOf("LIST_OF_SECONDARY_IP_RANGES") >= 0) {
      for (const n of asArray(at(s, "secondaryIpRangeNames"))) if (typeof n === "string") secondary.push(n);
    }
  }
  return { all, primary, secondary };
}

// Tenant code must never leave from an address an allow-list meant for the platform admits (ClickHouse Cloud's,
// customers' own): MCP pods take their IPs from a pod range of their own, GKE's default SNAT is off so they keep
// those IPs up to Cloud NAT, and exactly one NAT translates that range, on reserved addresses no other NAT uses
// (docs/edge-egress-ops.md).
export const computeRouterNatTenantEgressApart = stackPolicy(
  {
    name: "compute-router-nat-tenant-egress-apart",
    description: "MCP pods egress from their own pod range through a Cloud NAT whose reserved addresses no platform NAT shares.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("tenant egress", "Tenant egress apart from platform egress"),
    remediationSteps:
      "Give the gVisor pool networkConfig.podRange (a secondary range of its own), set defaultSnatStatus.disabled on the cluster, and NAT that range alone (LIST_OF_SECONDARY_IP_RANGES) with natIpAllocateOption MANUAL_ONLY on addresses no other RouterNat lists.",
  },
  ({ resources, report, notApplicable }) => {
    const pools = resources.filter((r) => r.type === GKE_NODE_POOL && isMcpPool(r));
    if (pools.length === 0) return notApplicable("the stack has no GKE Sandbox (gVisor) node pool");
    const clusters = resources.filter((r) => r.type === GKE_CLUSTER);
    const nats = resources.filter((r) => r.type === ROUTER_NAT);
    for (const pool of pools) {
      // The pool's cluster: by the name it names, else by its dependency edge (the name is the cluster's output).
      const clusterName = at(pool.props, "cluster");
      const cluster =
        clusters.find((c) => typeof clusterName === "string" && at(c.props, "name") === clusterName) ??
        clusters.find((c) => pool.dependsOn.indexOf(c.urn) >= 0);
      if (!cluster) {
        report(
          `cannot verify the gVisor node pool's cluster (${JSON.stringify(clusterName === UNKNOWN ? "unknown" : (clusterName ?? null))}): it is not planned in this stack, so its default SNAT cannot be checked`,
          pool.urn,
        );
        continue;
      }
      const snat = at(cluster.props, "defaultSnatStatus.disabled");
      if (snat === UNKNOWN) report(cannotVerify("defaultSnatStatus.disabled"), cluster.urn);
      else if (snat !== true) {
        report(
          `cluster ${gcpName(cluster)} keeps GKE's default SNAT: pods leave with their node's address, so tenant and platform pods share the platform NAT's addresses`,
          cluster.urn,
        );
      }
      const range = at(pool.props, "networkConfig.podRange");
      if (range === UNKNOWN) {
        report(cannotVerify("networkConfig.podRange"), pool.urn);
        continue;
      }
      if (typeof range !== "string" || range === "" || range === at(cluster.props, "ipAllocationPolicy.clusterSecondaryRangeName")) {
        report(
          `the gVisor node pool takes its pod IPs from the cluster's shared pod range (networkConfig.podRange ${JSON.stringify(range ?? null)}): tenant pods cannot be NATed apart`,
          pool.urn,
        );
        continue;
      }
      const serving = nats.filter((n) => {
        const s = servedRanges(n);
        return s.all || s.secondary.indexOf(range) >= 0;
      });
      if (serving.length === 0) {
        report(
          `no Cloud NAT translates the gVisor pool's pod range ${range}: tenant pods have no internet egress, or leave unaccounted for`,
          pool.urn,
        );
        continue;
      }
      for (const tenant of serving) {
        const tName = gcpName(tenant);
        const s = servedRanges(tenant);
        if (s.all || s.primary || s.secondary.some((r) => r !== range)) {
          report(
            `Cloud NAT ${tName} serves the tenant pod range ${range} together with other ranges (nodes or platform pods): tenants and the platform share its addresses`,
            tenant.urn,
          );
        }
        const mode = at(tenant.props, "natIpAllocateOption");
        const ips = at(tenant.props, "natIps");
        if (mode === UNKNOWN || ips === UNKNOWN) {
          report(cannotVerify(mode === UNKNOWN ? "natIpAllocateOption" : "natIps"), tenant.urn);
          continue;
        }
        if (mode !== "MANUAL_ONLY" || asArray(ips).length === 0) {
          report(
            `Cloud NAT ${tName} of the tenant pod range uses ${JSON.stringify(mode ?? "AUTO_ONLY")} addresses: they are neither reserved nor known to be apart from the platform's`,
            tenant.urn,
          );
          continue;
        }
        const own = asArray(ips);
        if (own.some((ip) => ip === UNKNOWN || typeof ip !== "string")) {
          report(cannotVerify("natIps"), tenant.urn);
          continue;
        }
        for (const other of nats.filter((n) => n !== tenant)) {
          const theirs = asArray(at(other.props, "natIps"));
          const shared = own.filter((ip) => theirs.indexOf(ip) >= 0);
          if (shared.length > 0) {
            report(`Cloud NAT ${tName} (tenant pods) shares address(es) ${shared.join(", ")} with Cloud NAT ${gcpName(other)}`, tenant.urn);
          }
        }
      }
    }
  },
);
