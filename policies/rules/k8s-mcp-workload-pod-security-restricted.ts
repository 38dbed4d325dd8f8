import { configSchema } from "../config";
import { containersOf, isWorkload } from "../lib/k8s";
import { mcpPodSpec } from "../lib/mcp";
import { platformRule, resourcePolicy } from "../lib/policy";
import { asArray, asRecord, at, cannotVerify, isObject, UNKNOWN, type Path, type Props } from "../lib/props";

// The Pod Security Standard "restricted" (https://kubernetes.io/docs/concepts/security/pod-security-standards/)
// for pods declared in the program. Host namespaces and privileged containers have rules of their own
// (k8s-mcp-workload-no-host-namespaces, k8s-mcp-workload-not-privileged) so each finding is reported once.
const VOLUME_TYPES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
const SECCOMP_TYPES = ["RuntimeDefault", "Localhost"];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];
const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
];

export const k8sMcpWorkloadPodSecurityRestricted = resourcePolicy(
  {
    name: "k8s-mcp-workload-pod-security-restricted",
    description: 'Workloads in the MCP namespace meet the Pod Security Standard "restricted".',
    enforcementLevel: "mandatory",
    severity: "high",
    framework: platformRule("sandbox", "Pod Security Standard restricted"),
    remediationSteps:
      "Run as non-root with allowPrivilegeEscalation: false, capabilities drop [ALL], seccompProfile RuntimeDefault, and only restricted volume types.",
    configSchema: configSchema("mcpNamespace"),
  },
  isWorkload,
  (ctx) => {
    const pod = mcpPodSpec(ctx);
    if (!pod) return;
    const findings: string[] = [];
    const read = (obj: unknown, path: Path, abs: Path): unknown => {
      const v = at(obj, path);
      if (v === UNKNOWN) findings.push(cannotVerify([...pod.path, ...(typeof abs === "string" ? abs.split(".") : abs)]));
      return v;
    };
    const podSc = (p: string) => read(pod.spec, `securityContext.${p}`, `securityContext.${p}`);

    for (const [i, v] of asArray(at(pod.spec, "volumes")).entries()) {
      const kinds = Object.keys(asRecord(v)).filter((k) => k !== "name");
      const bad = kinds.filter((k) => VOLUME_TYPES.indexOf(k) < 0);
      if (bad.length > 0)
        findings.push(`volume '${String(asRecord(v).name ?? `#${i}`)}' is of type ${bad.join(", ")}, not allowed by restricted`);
    }
    const podSeccomp = podSc("seccompProfile.type");
    const podNonRoot = podSc("runAsNonRoot");
    if (podNonRoot === false) findings.push("securityContext.runAsNonRoot is false");
    if (podSc("runAsUser") === 0) findings.push("securityContext.runAsUser is 0 (root)");
    if (podSeccomp !== undefined && podSeccomp !== UNKNOWN && SECCOMP_TYPES.indexOf(String(podSeccomp)) < 0) {
      findings.push(`securityContext.seccompProfile.type is ${JSON.stringify(podSeccomp)}, expected RuntimeDefault or Localhost`);
    }
    for (const s of asArray(podSc("sysctls"))) {
      const name = at(s, "name");
      if (typeof name === "string" && SAFE_SYSCTLS.indexOf(name) < 0) findings.push(`sysctl ${name} is not in the safe set`);
    }
    checkSeLinuxAppArmor(asRecord(at(pod.spec, "securityContext")), "the pod", findings);

    for (const c of containersOf(pod.spec)) {
      const sc = (p: string) => read(c.container, `securityContext.${p}`, [...c.path, "securityContext", ...p.split(".")]);
      const escalation = sc("allowPrivilegeEscalation");
      if (escalation !== false && escalation !== UNKNOWN)
        findings.push(`${c.label}: securityContext.allowPrivilegeEscalation must be false`);
      const nonRoot = sc("runAsNonRoot");
      if (nonRoot === false || (nonRoot === undefined && podNonRoot !== true && podNonRoot !== UNKNOWN)) {
        findings.push(`${c.label}: runAsNonRoot must be true (in the container or the pod securityContext)`);
      }
      if (sc("runAsUser") === 0) findings.push(`${c.label}: runAsUser is 0 (root)`);
      const seccomp = sc("seccompProfile.type");
      if (seccomp === undefined ? podSeccomp === undefined : seccomp !== UNKNOWN && SECCOMP_TYPES.indexOf(String(seccomp)) < 0) {
        findings.push(`${c.label}: seccompProfile.type must be RuntimeDefault or Localhost (in the container or the pod securityContext)`);
      }
      const drop = sc("capabilities.drop");
      if (drop !== UNKNOWN && asArray(drop).indexOf("ALL") < 0) findings.push(`${c.label}: capabilities.drop must include ALL`);
      const add = sc("capabilities.add");
      const extra = asArray(add).filter((x) => x !== "NET_BIND_SERVICE");
      if (extra.length > 0)
        findings.push(`${c.label}: capabilities.add may only hold NET_BIND_SERVICE, not ${extra.map(String).join(", ")}`);
      const procMount = sc("procMount");
      if (procMount !== undefined && procMount !== UNKNOWN && procMount !== "Default")
        findings.push(`${c.label}: procMount must be Default`);
      checkSeLinuxAppArmor(asRecord(at(c.container, "securityContext")), c.label, findings);
      for (const p of asArray(at(c.container, "ports"))) {
        const hostPort = at(p, "hostPort");
        if (typeof hostPort === "number" && hostPort !== 0) findings.push(`${c.label}: hostPort ${hostPort} binds a port of the node`);
      }
    }
    for (const f of findings) ctx.report(f);
  },
);

function checkSeLinuxAppArmor(sc: Props, who: string, findings: string[]): void {
  const se = asRecord(sc.seLinuxOptions);
  if (typeof se.type === "string" && SELINUX_TYPES.indexOf(se.type) < 0)
    findings.push(`${who}: seLinuxOptions.type ${se.type} is not allowed`);
  if (se.user !== undefined || se.role !== undefined) findings.push(`${who}: seLinuxOptions.user and .role must not be set`);
  if (isObject(sc.appArmorProfile) && sc.appArmorProfile.type === "Unconfined")
    findings.push(`${who}: appArmorProfile.type must not be Unconfined`);
  if (isObject(sc.windowsOptions) && sc.windowsOptions.hostProcess === true)
    findings.push(`${who}: windowsOptions.hostProcess must not be true`);
}
