// What the MCP namespace (mcpNamespace.ts) and the build namespace (buildNamespace.ts) both are: a Namespace,
// one ServiceAccount without an API token, a ResourceQuota and a LimitRange, created from manifests the
// subclass renders (and tests read without a Pulumi runtime). The namespaced objects take the namespace from the
// Namespace's output, so none of them is created before it.
import * as corev1 from "@pulumi/kubernetes/core/v1/index.js";
import type { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";

type Meta = { name: string; namespace: string; labels: Record<string, string> };

/** The four manifests of a quota namespace, as its subclass renders them; `Limit` is its LimitRange item. */
export interface QuotaNamespaceManifests<Limit extends object = object> {
  namespace: { apiVersion: "v1"; kind: "Namespace"; metadata: { name: string; labels: Record<string, string> } };
  serviceAccount: { apiVersion: "v1"; kind: "ServiceAccount"; metadata: Meta; automountServiceAccountToken: false };
  resourceQuota: { apiVersion: "v1"; kind: "ResourceQuota"; metadata: Meta; spec: { hard: Record<string, string> } };
  limitRange: { apiVersion: "v1"; kind: "LimitRange"; metadata: Meta; spec: { limits: Limit[] } };
}

/** Namespace, token-less ServiceAccount, ResourceQuota and LimitRange; children `<name>-namespace|service-account|quota|limits`. */
export abstract class QuotaNamespace extends pulumi.ComponentResource {
  public readonly namespace: corev1.Namespace;
  /** The namespace name, from the created object (waits for it). */
  public readonly namespaceName: pulumi.Output<string>;
  public readonly serviceAccount: corev1.ServiceAccount;
  /** The pods' ServiceAccount name (waits for it). */
  public readonly serviceAccountName: pulumi.Output<string>;
  public readonly resourceQuota: corev1.ResourceQuota;
  public readonly limitRange: corev1.LimitRange;

  protected constructor(
    type: string,
    name: string,
    m: QuotaNamespaceManifests,
    provider: K8sProvider,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(type, name, {}, opts);
    const childOpts = { parent: this, provider };
    this.namespace = new corev1.Namespace(`${name}-namespace`, { metadata: m.namespace.metadata }, childOpts);
    this.namespaceName = this.namespace.metadata.name;
    const inNs = (meta: Meta) => ({ ...meta, namespace: this.namespaceName });
    this.serviceAccount = new corev1.ServiceAccount(
      `${name}-service-account`,
      { metadata: inNs(m.serviceAccount.metadata), automountServiceAccountToken: m.serviceAccount.automountServiceAccountToken },
      childOpts,
    );
    this.serviceAccountName = this.serviceAccount.metadata.name;
    this.resourceQuota = new corev1.ResourceQuota(
      `${name}-quota`,
      { metadata: inNs(m.resourceQuota.metadata), spec: m.resourceQuota.spec },
      childOpts,
    );
    this.limitRange = new corev1.LimitRange(
      `${name}-limits`,
      // The LimitRange items are rendered as plain objects (quantities by resource name), which the SDK's
      // typed LimitRangeItem accepts at run time.
      { metadata: inNs(m.limitRange.metadata), spec: m.limitRange.spec as never },
      childOpts,
    );
    this.registerOutputs({ namespaceName: this.namespaceName, serviceAccountName: this.serviceAccountName });
  }
}
