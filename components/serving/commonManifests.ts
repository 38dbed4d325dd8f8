// Conventions shared by the serving components: node-pool placement, zone spreading and restricted security
// contexts. Pure values, so the manifests built from them are tested without Pulumi.
import type * as pulumi from "@pulumi/pulumi";

import { POOL_LABEL, type PoolRole } from "../platform.js";

export { POOL_LABEL };
/** The immutable zone label of every GKE node. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** The per-node label used to spread replicas across nodes. */
export const HOST_LABEL = "kubernetes.io/hostname";

export type Pool = PoolRole;

/** nodeSelector placing pods on one pool. */
export function poolSelector(pool: Pool): Record<string, string> {
  return { [POOL_LABEL]: pool };
}

/** The toleration for the backend pool's `gumstack.com/pool=backend:NoSchedule` taint. */
export function poolToleration(pool: Pool): { key: string; operator: string; value: string; effect: string } {
  return { key: POOL_LABEL, operator: "Equal", value: pool, effect: "NoSchedule" };
}

/** Required node affinity onto one pool (for charts that take `affinity` but no `nodeSelector`). */
export function poolAffinity(pool: Pool): Record<string, unknown> {
  return {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: POOL_LABEL, operator: "In", values: [pool] }] }],
      },
    },
  };
}

/**
 * Spread across zones, then nodes. ScheduleAnyway: a zone outage or a full zone must not block scale-up; the
 * scheduler still prefers the least-loaded zone.
 */
export function zoneAndHostSpread(matchLabels: Record<string, string>): Record<string, unknown>[] {
  return [ZONE_LABEL, HOST_LABEL].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: { ...matchLabels } },
  }));
}

/** Container securityContext meeting the Pod Security "restricted" profile. */
export function restrictedContainerSecurityContext(readOnlyRootFilesystem: boolean): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Every string of an object tree that is a `pulumi.Input<string>` in the component and a plain string in tests. */
export type In<T> = T | pulumi.Input<T>;

/** Rejects an integer outside [min, max] with the argument's name, before anything is registered. */
export function checkInt(what: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}
