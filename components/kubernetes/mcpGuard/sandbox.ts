// The sandbox: gVisor, the credential-less service account, no API token, no host namespace, port, path or
// privilege, only bounded scratch volumes, and no probe or hook the kubelet would send from the node.
import {
  and,
  bool,
  concat,
  cond,
  double,
  eq,
  gt,
  group,
  has,
  int,
  isQuantity,
  list,
  ne,
  none,
  not,
  or,
  quantityFloat,
  quoted,
  say,
  string,
  t,
  validation,
  variable,
  type Expr,
  type Obj,
  type PolicyDefinition,
} from "../cel/index.js";
import { quantityValue, RESTRICTED_ADDABLE_CAPABILITY, type Resolved } from "./args.js";
import { containers, POD_TEMPLATE_CHANGED, podSpec, volumes, WORKLOAD_RULES, WORKLOAD_VARIABLES } from "./workload.js";

const p = podSpec.ref;
const names = t.list(t.string);

/** Containers whose securityContext sets the boolean `field` true. */
export const containersFlagging = (name: string, field: string) =>
  variable(
    name,
    names,
    containers.ref
      .filter("c", (c) => and(has(c.f("securityContext")), has(c.path(`securityContext.${field}`)), c.path(`securityContext.${field}`)))
      .map("c", (c) => c.f("name")),
  );

// The kubelet runs probes and lifecycle hooks from the node, outside the sandbox and the NetworkPolicies: a
// `host` points it at any address the node reaches (the metadata server, the control plane, other pods).
// gRPC probes have no host field (core/v1 GRPCAction: port, service) and always target the pod's IP.
// Knative keeps httpGet.host and tcpSocket.host (pkg/apis/serving/fieldmask.go HTTPGetActionMask,
// TCPSocketActionMask) and drops `lifecycle` from user containers; its own preStop hook names no host.
const HOOKS = ["livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"];
const hostSet = (c: Expr<Obj>): Expr<boolean> =>
  or(
    ...HOOKS.flatMap((h) => {
      const [outer, inner] = h.split(".") as [string, string | undefined];
      const hook = inner ? c.f(outer).f(inner) : c.f(outer);
      const guard = inner ? [has(c.f(outer)), has(hook)] : [has(hook)];
      return ["httpGet", "tcpSocket"].map((a) =>
        group(and(...guard, has(hook.f(a)), has(hook.f(a).f("host")), ne(hook.f(a).f("host"), ""))),
      );
    }),
  );

export function sandboxPolicy(r: Resolved): PolicyDefinition {
  const maxEmptyDir = quantityValue(r.maxEmptyDirSize)!;
  const sa = r.serviceAccountName;
  const hostNamespaces = variable(
    "hostNamespaces",
    names,
    concat(...["hostNetwork", "hostPID", "hostIPC"].map((f) => cond(and(has(p.f(f)), p.f(f)), list([f]), list<string>([])))),
  );
  const hostPortContainers = variable(
    "hostPortContainers",
    names,
    containers.ref
      .filter("c", (c) =>
        and(
          has(c.f("ports")),
          c.f("ports").exists("pt", (pt) => and(has(pt.f("hostPort")), ne(pt.f("hostPort"), int(0)))),
        ),
      )
      .map("c", (c) => c.f("name")),
  );
  const caps = (c: Expr<Obj>) => c.path("securityContext.capabilities.add");
  const notAddable = (a: Expr<string>) => ne(a, RESTRICTED_ADDABLE_CAPABILITY);
  // NET_BIND_SERVICE is the one capability Pod Security "restricted" lets a container add, and Knative's
  // secure-pod-defaults adds it itself to every container with a port below 1024 (revision_defaults.go).
  const addedCapabilities = variable(
    "addedCapabilities",
    names,
    containers.ref
      .filter("c", (c) =>
        and(has(c.f("securityContext")), has(c.path("securityContext.capabilities")), has(caps(c)), caps(c).exists("a", notAddable)),
      )
      .map("c", (c) => concat(c.f("name"), " adds ", caps(c).filter("a", notAddable).join("+"))),
  );
  const hostPathVolumes = variable(
    "hostPathVolumes",
    names,
    volumes.ref.filter("v", (v) => has(v.f("hostPath"))).map("v", (v) => v.f("name")),
  );
  const projected = (v: Expr<Obj>, source: (s: Expr<Obj>) => Expr<boolean>) =>
    and(has(v.f("projected")), has(v.path("projected.sources")), v.path("projected.sources").exists("s", source));
  const tokenVolumes = variable(
    "tokenVolumes",
    names,
    volumes.ref.filter("v", (v) => projected(v, (s) => has(s.f("serviceAccountToken")))).map("v", (v) => v.f("name")),
  );
  const hostProbes = variable(
    "hostProbes",
    names,
    containers.ref.filter("c", hostSet).map("c", (c) => c.f("name")),
  );
  // Knative needs no volume with the platform's config (no system-internal-tls, no queue-sidecar token
  // audiences, no var-log collection: pkg/reconciler/revision/resources/deploy.go makePodSpec), and the
  // platform intends scratch space only. Secret volumes and token volumes have their own refusals.
  const otherVolumes = variable(
    "otherVolumes",
    names,
    volumes.ref
      .filter("v", (v) =>
        and(
          not(has(v.f("emptyDir"))),
          not(has(v.f("hostPath"))),
          not(has(v.f("secret"))),
          not(projected(v, (s) => or(has(s.f("serviceAccountToken")), has(s.f("secret"))))),
        ),
      )
      .map("v", (v) => v.f("name")),
  );
  // Without a sizeLimit an emptyDir grows until the node's disk is full and the kubelet evicts neighbours.
  const sizeLimit = (v: Expr<Obj>) => v.path("emptyDir.sizeLimit");
  const unboundedEmptyDirs = variable(
    "unboundedEmptyDirs",
    names,
    volumes.ref
      .filter("v", (v) =>
        and(
          has(v.f("emptyDir")),
          or(not(has(sizeLimit(v))), not(isQuantity(string(sizeLimit(v)))), gt(quantityFloat(string(sizeLimit(v))), double(maxEmptyDir))),
        ),
      )
      .map("v", (v) => v.f("name")),
  );
  const privilegedContainers = containersFlagging("privilegedContainers", "privileged");
  const escalatingContainers = containersFlagging("escalatingContainers", "allowPrivilegeEscalation");
  const shown = (field: string) => cond(has(p.f(field)), quoted(p.f(field)), "none");
  return {
    id: "sandbox",
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [
      ...WORKLOAD_VARIABLES,
      hostNamespaces,
      hostPortContainers,
      privilegedContainers,
      escalatingContainers,
      addedCapabilities,
      hostPathVolumes,
      tokenVolumes,
      hostProbes,
      otherVolumes,
      unboundedEmptyDirs,
    ],
    validations: [
      validation(
        and(has(p.f("runtimeClassName")), eq(p.f("runtimeClassName"), r.runtimeClassName)),
        say(
          `runtimeClassName must be "${r.runtimeClassName}": MCP servers run untrusted code and only the gVisor sandbox keeps it off the node kernel`,
        ).got(shown("runtimeClassName")),
      ),
      validation(
        and(
          has(p.f("serviceAccountName")),
          eq(p.f("serviceAccountName"), sa),
          group(or(not(has(p.f("serviceAccount"))), eq(p.f("serviceAccount"), sa))),
        ),
        say(`serviceAccountName must be "${sa}", the MCP service account with no cloud or cluster permissions`).got(
          shown("serviceAccountName"),
        ),
      ),
      validation(
        and(has(p.f("automountServiceAccountToken")), eq(p.f("automountServiceAccountToken"), bool(false))),
        say("automountServiceAccountToken must be false: a Kubernetes API token must never be mounted into untrusted MCP code").got(
          cond(has(p.f("automountServiceAccountToken")), "true", "unset (defaults to true)"),
        ),
      ),
      none(
        tokenVolumes,
        "projected serviceAccountToken volumes are not allowed: they mount a Kubernetes API token into untrusted MCP code",
        "volumes",
      ),
      none(
        hostNamespaces,
        "hostNetwork, hostPID and hostIPC are not allowed: they share the node's network, processes or IPC with untrusted MCP code",
        "set",
      ),
      none(
        hostPortContainers,
        "hostPort is not allowed: it exposes the pod on the node's address, around the MCP NetworkPolicies",
        "containers",
      ),
      none(privilegedContainers, "privileged containers are not allowed: they get full access to the node", "containers"),
      none(escalatingContainers, "allowPrivilegeEscalation must not be true: MCP processes must not gain privileges", "containers"),
      none(hostPathVolumes, "hostPath volumes are not allowed: they expose the node's filesystem to untrusted MCP code", "volumes"),
      none(
        addedCapabilities,
        `adding Linux capabilities other than ${RESTRICTED_ADDABLE_CAPABILITY} is not allowed: MCP containers run with the restricted capability set`,
        "containers",
      ),
      none(
        hostProbes,
        "probes and lifecycle hooks may not set host: the kubelet would send them from the node, outside the sandbox and the NetworkPolicies",
        "containers",
      ),
      none(
        otherVolumes,
        "only emptyDir volumes are allowed: Knative needs none, and an MCP server gets scratch space only, never another object or the node's storage",
        "volumes",
      ),
      none(
        unboundedEmptyDirs,
        `emptyDir volumes need a sizeLimit of at most ${r.maxEmptyDirSize}: an unbounded one can fill the node's disk and get neighbours evicted`,
        "volumes",
      ),
    ],
  };
}
