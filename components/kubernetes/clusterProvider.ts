// The Pulumi Kubernetes provider of the GKE cluster: a kubeconfig whose credentials come from
// gke-gcloud-auth-plugin (the deploying identity's Google credentials, never a stored token), server-side apply.
// Two providers on the same kubeconfig: `provider` depends on every node pool, so nothing that runs pods is applied
// before there are nodes to run it; `controlPlaneProvider` depends on the cluster only, for objects GKE's control
// plane acts on without nodes (the Gateway: GKE's Gateway controller runs in the control plane and builds the
// load balancer from it, https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-api#gateway_controller).
import { Provider as K8sProvider } from "@pulumi/kubernetes/provider.js";
import * as pulumi from "@pulumi/pulumi";
import type { GkeCluster } from "../gke/cluster.js";

export interface KubeconfigArgs {
  /** Context, cluster and user name inside the kubeconfig. */
  readonly contextName: string;
  /** API server host (DNS endpoint or IP), without scheme. */
  readonly server: string;
  /** Base64 CA bundle; omit for the DNS endpoint, which serves a publicly trusted certificate. */
  readonly caCertificate?: string;
}

/**
 * A kubeconfig (JSON, which kubeconfig parsers accept as YAML) with exec-based auth through
 * gke-gcloud-auth-plugin, as `gcloud container clusters get-credentials` writes it, except that the plugin reads
 * Application Default Credentials: by default it shells out to `gcloud` and uses the gcloud CLI's active account,
 * which a CI service account (GOOGLE_APPLICATION_CREDENTIALS, workload identity federation) does not have, and
 * which may be a different identity from the one the GCP provider deploys with.
 */
export function gkeKubeconfig(args: KubeconfigArgs): string {
  if (!args.server || /^https?:\/\//.test(args.server)) throw new Error(`server must be a bare host, got "${args.server}"`);
  const name = args.contextName;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: `https://${args.server}`,
          ...(args.caCertificate ? { "certificate-authority-data": args.caCertificate } : {}),
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "gke-gcloud-auth-plugin",
            args: ["--use_application_default_credentials"],
            installHint:
              "Install gke-gcloud-auth-plugin for use with kubectl by following https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin",
            provideClusterInfo: true,
          },
        },
      },
    ],
  });
}

export interface ClusterProviderArgs {
  /** The cluster to connect to. Required; no default. */
  readonly cluster: GkeCluster;
  /** Node pools the provider waits for (every resource applied with the provider then waits too). Required; no default. */
  readonly nodePools: readonly pulumi.Resource[];
}

/** Two `K8sProvider`s for a GkeCluster: one after every node pool, one after the control plane only. */
export class ClusterProvider extends pulumi.ComponentResource {
  /** The provider of everything that runs pods (or waits for pods): created after every node pool. */
  public readonly provider: K8sProvider;
  /**
   * The provider of objects that need only the control plane (no pod of theirs, no webhook on nodes): created
   * after the cluster, not the pools. The edge's Gateway, routes and policies use it; each object that names a
   * backend still waits for that backend (and so for the pools) through its own dependencies.
   */
  public readonly controlPlaneProvider: K8sProvider;
  /** The provider's kubeconfig (no secret in it: credentials come from the exec plugin at run time). */
  public readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ClusterProviderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gumstack:kubernetes:ClusterProvider", name, {}, opts);
    if (args.nodePools.length === 0) throw new Error(`${name}: nodePools must list the cluster's node pools`);
    const { cluster } = args;
    this.kubeconfig = pulumi
      .all([cluster.name, cluster.apiServerHost, cluster.apiServerCaCertificate])
      .apply(([clusterName, server, ca]) =>
        gkeKubeconfig({ contextName: `gke_${cluster.project}_${cluster.location}_${clusterName}`, server, caCertificate: ca }),
      );
    const providerArgs = {
      kubeconfig: this.kubeconfig,
      enableServerSideApply: true,
      // Replace the provider (and so every object) only when the cluster itself changes, never on a
      // kubeconfig-only change such as switching between the DNS and IP endpoints.
      clusterIdentifier: cluster.id,
    };
    this.provider = new K8sProvider(`${name}-k8s`, providerArgs, { parent: this, dependsOn: [...args.nodePools] });
    // The kubeconfig's inputs (cluster name, endpoint) already order it after the cluster.
    this.controlPlaneProvider = new K8sProvider(`${name}-k8s-control-plane`, providerArgs, { parent: this, dependsOn: [cluster.cluster] });
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
