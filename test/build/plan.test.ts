// The build plane in the prod and enterprise plans: its manifests pass their schemas, a build pod reaches only
// DNS and public 80/443 (every NetworkPolicy of the plan evaluated with Kubernetes semantics, under both readings
// of ipBlock for pod IPs), the backend may run builds and nothing more there, the pusher may write the tenant
// repository and nothing more, and nothing builds before the namespace is fenced and guarded.
import { LimitRange, Namespace, ResourceQuota, ServiceAccount } from "kubernetes-models/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { describe, expect, it } from "vitest";
import { buildAdmissionManifests } from "../../components/kubernetes/buildAdmissionPolicies.js";
import { evaluate, type ClusterModel, type Endpoint, type NetworkPolicyLike, type PodEndpoint } from "@gumstack/network/netpol-evaluator";
import { sharedPlan } from "../support/plans.js";
import { nameOf, ofType, one, waitsFor, type PlannedResource } from "../support/harness.js";

type Obj = Record<string, any>;
const NS = "gumstack-build";
const T = {
  ns: "kubernetes:core/v1:Namespace",
  sa: "kubernetes:core/v1:ServiceAccount",
  quota: "kubernetes:core/v1:ResourceQuota",
  limits: "kubernetes:core/v1:LimitRange",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  binding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  vap: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
  vapBinding: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
  account: "gcp:serviceaccount/account:Account",
  deployment: "kubernetes:apps/v1:Deployment",
};
const inNs = (rs: PlannedResource[], type: string) => ofType(rs, type).filter((r) => (r.inputs.metadata as Obj)?.namespace === NS);

// Each stack's builder comes from its own tenant repository (the one its MCP pool's nodes may read).
const TENANT_REPO: Record<string, string> = {
  prod: "us-west1-docker.pkg.dev/gumstack-prod/mcp-prod",
  enterprise: "us-west1-docker.pkg.dev/gumstack-acme/mcp-ent-acme",
};
describe.each(["prod", "enterprise"])("the %s plan's build plane", async (stack) => {
  const plan = await sharedPlan(stack);
  const rs = plan.deployment.resources;

  it("has the namespace, its ServiceAccount, quota and limits, schema-valid, with no GCP identity and no token", () => {
    const ns = ofType(rs, T.ns).find((r) => (r.inputs.metadata as Obj).name === NS)!;
    expect(() => new Namespace(ns.inputs as never).validate()).not.toThrow();
    expect((ns.inputs.metadata as Obj).labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "privileged",
      "pod-security.kubernetes.io/audit": "baseline",
    });
    const [sa] = inNs(rs, T.sa);
    expect(() => new ServiceAccount(sa!.inputs as never).validate()).not.toThrow();
    expect(sa!.inputs).toMatchObject({ metadata: { name: "builder" }, automountServiceAccountToken: false });
    expect((sa!.inputs.metadata as Obj).annotations).toBeUndefined();
    const [quota] = inNs(rs, T.quota);
    expect(() => new ResourceQuota(quota!.inputs as never).validate()).not.toThrow();
    // The build share of the gVisor pool (src/config/quota.ts): prod's 20 n2-standard-8 hold 18 builds of 2 CPUs
    // and 4Gi beside the servers, enterprise's 6 n2-standard-4 hold 2.
    expect((quota!.inputs.spec as Obj).hard).toEqual(
      stack === "prod"
        ? {
            pods: "18",
            "limits.cpu": "36",
            "limits.memory": "72Gi",
            "limits.ephemeral-storage": "600Gi",
            services: "0",
            persistentvolumeclaims: "0",
          }
        : {
            pods: "2",
            "limits.cpu": "4",
            "limits.memory": "8Gi",
            "limits.ephemeral-storage": "600Gi",
            services: "0",
            persistentvolumeclaims: "0",
          },
    );
    const [limits] = inNs(rs, T.limits);
    expect(() => new LimitRange(limits!.inputs as never).validate()).not.toThrow();
    const container = ((limits!.inputs.spec as Obj).limits as Obj[]).find((l) => l.type === "Container")!;
    for (const k of ["cpu", "memory", "ephemeral-storage"])
      for (const f of ["default", "defaultRequest", "max"]) expect(container[f], `${f}.${k}`).toHaveProperty(k);
  });

  it("binds the build guard's policies with Deny, exactly as buildAdmissionManifests makes them", () => {
    const policies = ofType(rs, T.vap).filter((r) => (r.inputs.metadata as Obj).name.startsWith(`${NS}-`));
    expect(policies.map((p) => (p.inputs.metadata as Obj).name).sort()).toEqual(
      ["workloads", "job", "pod", "credentials", "contract"].map((id) => `${NS}-${id}`).sort(),
    );
    const expected = buildAdmissionManifests({
      builderImagePrefix: `${TENANT_REPO[stack]}/gumstack-build/`,
      maxDeadlineSeconds: 600,
      maxTtlSecondsAfterFinished: 300,
    });
    for (const m of expected.policies)
      expect(policies.find((p) => (p.inputs.metadata as Obj).name === m.metadata.name)!.inputs.spec).toEqual(m.spec);
    const bindings = ofType(rs, T.vapBinding).filter((r) => (r.inputs.metadata as Obj).name.startsWith(`${NS}-`));
    expect(bindings).toHaveLength(5);
    for (const b of bindings) expect((b.inputs.spec as Obj).validationActions).toEqual(["Deny"]);
  });

  it("lets the backend run builds there and nothing else: Jobs, pod reads and logs, Secrets create/delete", () => {
    const role = inNs(rs, T.role).find((r) => (r.inputs.metadata as Obj).name === "gumstack-backend-build-runner")!;
    expect(() => new Role(role.inputs as never).validate()).not.toThrow();
    expect(role.inputs.rules).toEqual([
      { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      { apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"] },
    ]);
    const bindings = inNs(rs, T.binding);
    expect(bindings).toHaveLength(1);
    expect(() => new RoleBinding(bindings[0]!.inputs as never).validate()).not.toThrow();
    expect(bindings[0]!.inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "backend", namespace: "gumstack-backend" }]);
  });

  it("gives the pusher writer on the tenant MCP repository only, and only the backend may mint its tokens", () => {
    const account = ofType(rs, T.account).find((r) => r.inputs.accountId === (stack === "prod" ? "pusher-prod" : "pusher-ent-acme"))!;
    expect(
      account,
      ofType(rs, T.account)
        .map((r) => String(r.inputs.accountId))
        .join(", "),
    ).toBeDefined();
    const member = `serviceAccount:${account.outputs.email as string}`;
    // Every IAM grant of the plan whose member is the pusher: exactly one, writer on the tenant MCP repository.
    const writes = rs.filter(
      (r) =>
        /IAM(Member|Binding)$|IamMember$/i.test(r.type) &&
        (r.inputs.member === member || ((r.inputs.members as string[] | undefined) ?? []).includes(member)),
    );
    expect(writes).toHaveLength(1);
    const repository = one(rs, "gcp:artifactregistry/repository:Repository");
    expect(writes[0]!.inputs).toMatchObject({
      repository: repository.inputs.repositoryId,
      project: repository.inputs.project,
      role: "roles/artifactregistry.writer",
    });
    const minting = rs.filter(
      (r) =>
        r.type === "gcp:serviceaccount/iAMMember:IAMMember" &&
        r.inputs.role === "roles/iam.serviceAccountTokenCreator" &&
        nameOf(r).startsWith("pusher"),
    );
    expect(minting).toHaveLength(1);
    const backendSa = ofType(rs, T.account).find((r) => String(r.inputs.accountId).startsWith("backend-"))!;
    expect(minting[0]!.inputs.member).toBe(`serviceAccount:${backendSa.outputs.email as string}`);
  });

  it("starts the backend only after the build namespace is fenced and guarded", () => {
    const backend = one(rs, T.deployment, "backend-deployment");
    for (const r of [
      ...inNs(rs, T.netpol),
      ...ofType(rs, T.vapBinding).filter((b) => (b.inputs.metadata as Obj).name.startsWith(`${NS}-`)),
    ]) {
      expect(waitsFor(rs, backend, r), nameOf(r)).toBe(true);
    }
  });

  // ---- reachability of a build pod, judged over every NetworkPolicy of the plan -----------------------------
  const policies: NetworkPolicyLike[] = ofType(rs, T.netpol).map((r) => ({
    metadata: r.inputs.metadata as NetworkPolicyLike["metadata"],
    spec: r.inputs.spec as NetworkPolicyLike["spec"],
  }));
  const namespaces = ["gumstack-build", "gumstack-mcp", "gumstack-backend", "knative-serving", "kube-system", "default"].map((name) => ({
    name,
  }));
  const models: ClusterModel[] = [false, true].map((ipBlockMatchesPods) => ({ namespaces, policies, ipBlockMatchesPods }));
  const pod = (namespace: string, labels: Record<string, string>, ip: string): PodEndpoint => ({ kind: "pod", namespace, labels, ip });
  const ext = (ip: string): Endpoint => ({ kind: "external", ip });
  const build = pod(
    NS,
    { "gumstack.com/tenant": "acme", "gumstack.com/build": "b1", "batch.kubernetes.io/job-name": "build-b1" },
    "10.16.0.40",
  );
  const otherBuild = pod(NS, { "gumstack.com/tenant": "globex", "gumstack.com/build": "b2" }, "10.16.0.41");
  const verdicts = (from: Endpoint, to: Endpoint, port: number, protocol: "TCP" | "UDP" = "TCP") =>
    models.map((m) => evaluate(m, { from, to, port, protocol }).allowed);

  it("validates every build NetworkPolicy against the schema; none admits ingress", () => {
    const own = inNs(rs, T.netpol);
    expect(own.map((p) => (p.inputs.metadata as Obj).name)).toEqual(["default-deny-all", "allow-egress-dns", "allow-egress-public-web"]);
    for (const p of own) {
      expect(() => new NetworkPolicy(p.inputs as never).validate()).not.toThrow();
      expect((p.inputs.spec as Obj).ingress).toBeUndefined();
    }
  });

  it.each([
    ["the GCE metadata server", "169.254.169.254", 80],
    ["the GKE metadata server", "169.254.169.252", 988],
    ["the metadata server on 443", "169.254.169.254", 443],
    ["a node (10.10.0.5)", "10.10.0.5", 10250],
    ["the control plane", "172.16.0.2", 443],
    ["a Service ClusterIP", "10.20.0.10", 443],
    ["an RFC 1918 host", "192.168.1.1", 443],
    ["CGNAT space", "100.64.0.1", 443],
    ["loopback", "127.0.0.1", 80],
    ["a public host on SSH", "140.82.112.3", 22],
    ["a public host on 8080", "8.8.8.8", 8080],
    ["a public DNS resolver directly", "8.8.8.8", 53],
    ["IPv6 anywhere", "2001:4860:4860::8888", 443],
  ])("refuses egress from a build pod to %s", (_, ip, port) => {
    expect(verdicts(build, ext(ip), port)).toEqual([false, false]);
  });

  it.each([
    ["another build", otherBuild, 8080],
    ["an MCP server", pod("gumstack-mcp", { "serving.knative.dev/service": "x" }, "10.16.0.10"), 8012],
    ["the backend", pod("gumstack-backend", { app: "backend" }, "10.16.3.3"), 8080],
    ["the Kourier gateway", pod("knative-serving", { app: "3scale-kourier-gateway" }, "10.16.1.5"), 8080],
    ["a kube-system pod other than DNS", pod("kube-system", { "k8s-app": "metrics-server" }, "10.16.2.4"), 443],
  ])("refuses traffic between a build pod and %s, both ways", (_, peer, port) => {
    expect(verdicts(build, peer, port)).toEqual([false, false]);
    expect(verdicts(peer, build, port)).toEqual([false, false]);
  });

  it("refuses ingress to a build pod from the internet and the load balancer ranges", () => {
    for (const ip of ["8.8.8.8", "35.191.0.1", "130.211.0.5"])
      for (const port of [22, 80, 8080]) expect(verdicts(ext(ip), build, port)).toEqual([false, false]);
  });

  it.each([
    ["github.com on 443", "140.82.112.3", 443],
    ["a package mirror on 80", "151.101.0.223", 80],
    ["Artifact Registry (Private Google Access) on 443", "199.36.153.8", 443],
  ])("allows egress from a build pod to %s", (_, ip, port) => {
    expect(verdicts(build, ext(ip), port)).toEqual([true, true]);
  });

  it("allows DNS to kube-dns on UDP and TCP 53", () => {
    const dns = pod("kube-system", { "k8s-app": "kube-dns" }, "10.16.2.2");
    expect(verdicts(build, dns, 53, "UDP")).toEqual([true, true]);
    expect(verdicts(build, dns, 53, "TCP")).toEqual([true, true]);
  });
});
