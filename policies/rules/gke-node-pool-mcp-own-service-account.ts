import { readStackIam } from "../lib/iam";
import { platformRule, stackPolicy } from "../lib/policy";
import { at, UNKNOWN } from "../lib/props";
import { AR_REPOSITORY, GKE_NODE_POOL } from "../lib/types";
import { MCP_POOL_LABEL } from "./gke-node-pool-mcp-sandbox";

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

// A sandbox escape on an MCP node gets that node's service account. So the MCP pool's account is its own
// (never a platform pool's), and it reads images from the stack's own (tenant) repositories only: no
// platform images, no other stack's images, nothing project-wide.
export const gkeNodePoolMcpOwnServiceAccount = stackPolicy(
  {
    name: "gke-node-pool-mcp-own-service-account",
    description:
      "The MCP node pool runs as a service account no other pool uses, with registry access to the stack's own repositories only.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("node identity", "A gVisor escape on an MCP node gets only what the MCP pool's own account holds"),
    remediationSteps:
      "Give each node pool its own service account; grant the MCP pool's account roles/artifactregistry.reader on the stack's tenant MCP repository only.",
  },
  (ctx) => {
    const pools = ctx.resources.filter((r) => r.type === GKE_NODE_POOL);
    const isMcp = (r: (typeof pools)[number]) => {
      const label = at(r.props, ["nodeConfig", "labels", MCP_POOL_LABEL]);
      const sandbox = at(r.props, "nodeConfig.sandboxConfig");
      return label === "mcp" || (sandbox !== undefined && sandbox !== null && sandbox !== UNKNOWN);
    };
    const mcpUrns = new Set(pools.filter(isMcp).map((r) => r.urn));
    if (mcpUrns.size === 0) return ctx.notApplicable("the stack has no MCP (sandboxed) node pool");
    const iam = readStackIam(ctx.resources);
    const created = ctx.resources
      .filter((r) => r.type === AR_REPOSITORY)
      .map((r) => `${String(at(r.props, "location"))}/${String(at(r.props, "repositoryId"))}`);
    for (const mcp of iam.nodePools.filter((p) => mcpUrns.has(p.urn))) {
      const shared = iam.nodePools.filter((p) => p.account === mcp.account && !mcpUrns.has(p.urn));
      if (shared.length > 0) {
        ctx.report(
          `the MCP pool ${nameOf(mcp.urn)} runs as ${mcp.account}, which pool ${shared.map((p) => nameOf(p.urn)).join(", ")} also uses: a sandbox escape would get the platform pool's access`,
          mcp.urn,
        );
      }
      for (const g of iam.grants) {
        if (g.member !== mcp.account || g.role === undefined || !g.role.startsWith("roles/artifactregistry.")) continue;
        const s = g.scope;
        if (s.kind === "repository" && created.includes(`${s.location}/${s.repository}`)) continue;
        const target =
          s.kind === "repository"
            ? `repository ${s.location}-docker.pkg.dev/${s.project}/${s.repository}, which this stack does not create`
            : s.kind === "project"
              ? `every repository of project ${s.project}`
              : `a ${s.kind} scope`;
        ctx.report(
          `the MCP pool's account ${mcp.account} holds ${g.role} on ${target}: it may read only the stack's own tenant repository`,
          g.urn,
        );
      }
    }
  },
);
