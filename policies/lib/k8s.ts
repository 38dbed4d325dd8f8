// Kubernetes resources as Pulumi types them ("kubernetes:<group>/<version>:<Kind>", inputs = the manifest).
import { at, asArray, isObject, UNKNOWN, type Props } from "./props";

export interface K8sType {
  readonly group: string;
  readonly version: string;
  /** The kind, without the "Patch"/"List" suffix of the Pulumi server-side-apply variants. */
  readonly kind: string;
}

/** Parses "kubernetes:apps/v1:DeploymentPatch" into { group: "apps", version: "v1", kind: "Deployment" }. */
export function k8sType(type: string): K8sType | undefined {
  const m = /^kubernetes:([^/:]+)\/([^/:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m) return undefined;
  const kind = m[3]!.replace(/(Patch|List)$/, "");
  return { group: m[1]!, version: m[2]!, kind };
}

export function isKind(type: string, group: string, kind: string): boolean {
  const t = k8sType(type);
  return t !== undefined && t.group === group && t.kind === kind;
}

/** The Kubernetes provider's default namespace for resources that omit metadata.namespace. */
function providerNamespace(providerProps: Props): unknown {
  const ns = at(providerProps, "namespace");
  return ns === undefined || ns === "" ? "default" : ns;
}

/** Namespace of a namespaced resource: metadata.namespace, else the provider's default. May be UNKNOWN. */
export function namespaceOf(props: Props, providerProps: Props): string | typeof UNKNOWN {
  const ns = at(props, "metadata.namespace");
  const v = ns === undefined || ns === null || ns === "" ? providerNamespace(providerProps) : ns;
  return v === UNKNOWN ? UNKNOWN : String(v);
}

/** Where each kind that creates pods keeps its pod spec. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  "core/Pod": ["spec"],
  "core/ReplicationController": ["spec", "template", "spec"],
  "apps/Deployment": ["spec", "template", "spec"],
  "apps/StatefulSet": ["spec", "template", "spec"],
  "apps/DaemonSet": ["spec", "template", "spec"],
  "apps/ReplicaSet": ["spec", "template", "spec"],
  "batch/Job": ["spec", "template", "spec"],
  "batch/CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "serving.knative.dev/Service": ["spec", "template", "spec"],
  "serving.knative.dev/Configuration": ["spec", "template", "spec"],
  "serving.knative.dev/Revision": ["spec"],
};

/** Path of the pod spec inside a workload's inputs, or undefined if the type makes no pods. */
export function podSpecPath(type: string): readonly string[] | undefined {
  const t = k8sType(type);
  return t ? POD_SPEC_PATHS[`${t.group}/${t.kind}`] : undefined;
}

export function isWorkload(type: string): boolean {
  return podSpecPath(type) !== undefined;
}

/** The Helm v3 Release resource: its rendered manifests never reach the pack as resources. */
export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

export const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

export interface ContainerRef {
  /** Path from the pod spec, e.g. ["containers", 0]. */
  readonly path: readonly (string | number)[];
  /** "container 'app'" for messages. */
  readonly label: string;
  readonly container: Props;
}

export function containersOf(podSpec: unknown): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const list of CONTAINER_LISTS) {
    asArray(at(podSpec, list)).forEach((c, i) => {
      const name = isObject(c) && typeof c.name === "string" ? c.name : `#${i}`;
      const kind = list === "containers" ? "container" : list === "initContainers" ? "init container" : "ephemeral container";
      out.push({ path: [list, i], label: `${kind} '${name}'`, container: isObject(c) ? c : {} });
    });
  }
  return out;
}

/** True when a label selector selects everything: no matchLabels and no matchExpressions. */
export function selectsAll(selector: unknown): boolean {
  if (selector === undefined || selector === null) return true;
  if (!isObject(selector)) return false;
  const labels = selector.matchLabels;
  const exprs = selector.matchExpressions;
  return (
    (labels === undefined || labels === null || (isObject(labels) && Object.keys(labels).length === 0)) &&
    (exprs === undefined || exprs === null || (Array.isArray(exprs) && exprs.length === 0))
  );
}
