// The compute layer composed exactly as the platform stack composes it: the base, GKE and tenancy layers of
// src/stacks/layers/, from the prod stack file (the seed's values) or a variant of it.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../src/config/schema.js";
import type { NodePoolRole } from "../../components/gke/nodePool.js";
import { baseLayer } from "../../src/stacks/layers/base.js";
import { gkeLayer } from "../../src/stacks/layers/gke.js";
import { tenancyLayer } from "../../src/stacks/layers/tenancy.js";
import { prodConfig, record, type PlannedResource } from "../support/harness.js";

export { prodConfig };

/** The prod stack's `gke` key, as the mocks name it: Secrets encryption and node boot disks. */
export const KMS_KEY = "projects/gumstack-prod/locations/us-west1/keyRings/gumstack-prod/cryptoKeys/gke";
export const ROLES: readonly NodePoolRole[] = ["system", "backend", "mcp"];

/** Builds the base, GKE and tenancy layers; returns their handles so tests can read their outputs. */
export function buildCompute(cfg: StackConfig = prodConfig()) {
  const settings = { ...cfg, clickhousePassword: pulumi.secret(cfg.clickhousePassword) };
  const base = baseLayer(settings);
  const gke = gkeLayer(settings, base);
  const tenancy = tenancyLayer(settings, base, gke);
  return { base, cluster: gke.cluster, gvisor: gke.gvisor, gke, tenancy };
}

const computePlans = new Map<string, Promise<PlannedResource[]>>();

/**
 * What buildCompute(cfg) registers, planned once per test worker for each config: half a dozen tests read the
 * layers of the same config, and a plan of them costs about 0.4 s. Each caller gets its own deep copy. The key is
 * the config's JSON: StackConfig is plain data, and two configs with the same JSON build the same layers.
 */
export async function plannedCompute(cfg: StackConfig = prodConfig()): Promise<PlannedResource[]> {
  const key = JSON.stringify(cfg);
  let plan = computePlans.get(key);
  if (!plan) {
    plan = record(() => {
      buildCompute(cfg);
    });
    computePlans.set(key, plan);
  }
  return structuredClone(await plan);
}

/** Resolves an Output's value inside a mocked program. */
export function valueOf<T>(o: { apply<U>(f: (v: T) => U): unknown }): Promise<T> {
  return new Promise((resolve) => {
    o.apply((v) => {
      resolve(v);
      return v;
    });
  });
}
