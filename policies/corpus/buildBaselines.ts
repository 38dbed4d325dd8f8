// The compliant build objects the build guard must admit beside the Job buildJobManifest writes: the Pod the Job
// controller makes of it. One definition for the build guard's tests (test/build/buildAdmission.test.ts) and the
// pack's corpus generator (generate.ts), so the baselines both judge cannot drift apart.
type Obj = Record<string, any>;

/**
 * The Pod the Job controller creates from build Job `job` in `namespace`, after the API server's defaulting (the
 * DefaultTolerationSeconds admission plugin's not-ready/unreachable tolerations among it) and GKE Sandbox's
 * RuntimeClass scheduling.
 */
export function buildJobPod(job: Obj, namespace: string): Obj {
  const spec = structuredClone(job.spec.template.spec);
  for (const c of [...spec.initContainers, ...spec.containers]) Object.assign(c, { terminationMessagePath: "/dev/termination-log" });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "build-b7f3c2a1-x7k2p",
      namespace,
      labels: {
        ...job.spec.template.metadata.labels,
        "batch.kubernetes.io/job-name": "build-b7f3c2a1",
        "batch.kubernetes.io/controller-uid": "5d1c",
      },
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "Job", name: "build-b7f3c2a1", uid: "5d1c", controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      ...spec,
      serviceAccount: spec.serviceAccountName,
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      priority: 0,
      nodeSelector: { "sandbox.gke.io/runtime": "gvisor" },
      overhead: { cpu: "250m", memory: "20Mi" },
      tolerations: [
        { key: "sandbox.gke.io/runtime", operator: "Equal", value: "gvisor", effect: "NoSchedule" },
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
    },
  };
}

/** The pod spec of a build Job or Pod. */
export const buildPodSpecOf = (o: Obj): Obj => (o.kind === "Job" ? o.spec.template.spec : o.spec);
/** The step (init container or container) named `name` of pod spec `s`. */
export const buildStep = (s: Obj, name: string): Obj => [...(s.initContainers ?? []), ...s.containers].find((c: Obj) => c.name === name);
