// The build admission guard's inputs, their defaults, and the checks that refuse a weak or broken guard before
// anything is planned. The policies are the sibling modules (one per policy).
import { BUILD_DEFAULTS } from "../buildJob.js";

export interface BuildAdmissionPolicyArgs {
  /** The build namespace, the only namespace the guard applies to. Default "gumstack-build". */
  readonly namespace?: string;
  /** The ServiceAccount every build pod must run as. Default "builder". */
  readonly serviceAccountName?: string;
  /** RuntimeClass every build pod must use (GKE Sandbox's). Default "gvisor". */
  readonly runtimeClassName?: string;
  /**
   * Where every build image comes from, ending in "/": the build plane's reserved path of the stack's tenant MCP
   * repository, `<tenant repo>/gumstack-build/` (the MCP pool's nodes can pull from nothing else; the release
   * identity copies the builder there by digest). Images must be `<prefix><name>@sha256:<64 hex>`. Required.
   */
  readonly builderImagePrefix: string;
  /**
   * The tenant MCP repository every push goes to, `<region>-docker.pkg.dev/<project>/<repository>`: the push
   * DESTINATION must be `<it>/<tenant label>/<server label>:<GIT_SHA>`. Default: builderImagePrefix without its
   * last path segment (the builder's reserved path is `<tenant repo>/gumstack-build/`).
   */
  readonly imageRepository?: string;
  /** The one git host builds clone from: GIT_URL must be `https://<it>/<owner>/<repo>`. Default "github.com". */
  readonly gitHost?: string;
  /** Longest activeDeadlineSeconds of a Job or pod, 60-600. Default 600. */
  readonly maxDeadlineSeconds?: number;
  /** Longest ttlSecondsAfterFinished of a Job, 0-3600. Default 3600. */
  readonly maxTtlSecondsAfterFinished?: number;
}

/**
 * Caps that keep every expression's cost fixed: the `bounded` variable (buildGuard/workload.ts) holds only within
 * them and every other list walk iterates only when it holds. A build pod needs 3, 7, 3, 6, 0, 0 and 14.
 */
export const BUILD_POD_BOUNDS = { containers: 4, volumes: 10, volumeMounts: 8, env: 16, envFrom: 2, ports: 8, capabilities: 16 } as const;

/**
 * The path an Artifact Registry image reference sits in, `<region>-docker.pkg.dev/<project>/<repository>/<path>/`
 * (for the builder `<tenant repo>/gumstack-build/`): where every build image must come from.
 */
export function imagePathPrefixOf(image: string): string {
  const m =
    /^([a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9._-]+\/(?:[a-z0-9._-]+\/)*)[a-z0-9._-]+(@sha256:[a-f0-9]{64}|:[A-Za-z0-9._-]+)$/.exec(
      image,
    );
  if (!m)
    throw new Error(
      `"${image}" is not an Artifact Registry image reference (<region>-docker.pkg.dev/<project>/<repository>/<path>/<name>@sha256:<digest>)`,
    );
  return m[1]!;
}

/** The guard's inputs with every default applied, validated. */
export type Resolved = Required<BuildAdmissionPolicyArgs>;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const IMAGE_PREFIX = /^[a-z0-9.-]+\.[a-z]{2,}(:[0-9]+)?\/([a-z0-9._-]+\/)+$/;

export function resolveBuildAdmissionArgs(args: BuildAdmissionPolicyArgs): Resolved {
  const r: Resolved = {
    namespace: args.namespace ?? BUILD_DEFAULTS.namespace,
    serviceAccountName: args.serviceAccountName ?? BUILD_DEFAULTS.serviceAccountName,
    runtimeClassName: args.runtimeClassName ?? BUILD_DEFAULTS.runtimeClassName,
    builderImagePrefix: args.builderImagePrefix,
    imageRepository: args.imageRepository ?? args.builderImagePrefix.replace(/[^/]+\/$/, "").replace(/\/$/, ""),
    gitHost: args.gitHost ?? BUILD_DEFAULTS.gitHost,
    maxDeadlineSeconds: args.maxDeadlineSeconds ?? 600,
    maxTtlSecondsAfterFinished: args.maxTtlSecondsAfterFinished ?? 3600,
  };
  const fail = (field: string, why: string): never => {
    throw new Error(`BuildAdmissionGuard ${field}: ${why}`);
  };
  for (const f of ["namespace", "serviceAccountName", "runtimeClassName"] as const) {
    if (!DNS_LABEL.test(r[f])) fail(f, `${JSON.stringify(r[f])} is not a DNS-1123 label`);
  }
  if (!IMAGE_PREFIX.test(r.builderImagePrefix))
    fail("builderImagePrefix", `${JSON.stringify(r.builderImagePrefix)} must be <registry host>/<path>/ ending in "/"`);
  if (!/^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/[a-z0-9._-]+$/.test(r.imageRepository))
    fail("imageRepository", `${JSON.stringify(r.imageRepository)} must be <region>-docker.pkg.dev/<project>/<repository>`);
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(r.gitHost))
    fail("gitHost", `${JSON.stringify(r.gitHost)} must be a DNS host name such as github.com`);
  if (!Number.isInteger(r.maxDeadlineSeconds) || r.maxDeadlineSeconds < 60 || r.maxDeadlineSeconds > 600)
    fail("maxDeadlineSeconds", `${r.maxDeadlineSeconds} must be an integer from 60 to 600`);
  if (!Number.isInteger(r.maxTtlSecondsAfterFinished) || r.maxTtlSecondsAfterFinished < 0 || r.maxTtlSecondsAfterFinished > 3600)
    fail("maxTtlSecondsAfterFinished", `${r.maxTtlSecondsAfterFinished} must be an integer from 0 to 3600`);
  return r;
}
