// Every GCP name a stack's config makes, computed with the same functions the components name their resources
// with, each with the config key it comes from and the namespace it must be unique in. The schema checks each one
// against GCP's rules (src/config/gcpNames.ts) before anything is planned; src/config/stackSet.ts compares them
// across the stack files of a directory; test/config-names.test.ts proves the list is what the plan creates.
// Only the pure naming module: loading the components would load the whole provider SDK into every config check.
import { KEY_PURPOSES, accountId, boundedName, bucketName, defaultTenantRepositoryId, keyRingName } from "../../components/gcp/naming.js";
import {
  bucketNameProblem,
  domainProblem,
  kmsIdProblem,
  projectIdProblem,
  repositoryIdProblem,
  serviceAccountIdProblem,
} from "./gcpNames.js";

export type NameKind =
  | "project"
  | "bucket"
  | "serviceAccount"
  | "keyRing"
  | "cryptoKey"
  | "repository"
  | "spannerInstance"
  | "cluster"
  | "network"
  | "subnetwork"
  | "router"
  | "nat"
  | "firewall"
  | "domain";

export interface DerivedName {
  readonly kind: NameKind;
  readonly name: string;
  /** Where the name must be unique: "global", "project:<id>", "project:<id>/<location>". */
  readonly scope: string;
  /** The config key (path below `gumstack:`) whose value the name is made from, named in a refusal. */
  readonly key: string;
  /** The name carries the stack's random part (naming.randomSuffix): it cannot collide with another stack's. */
  readonly random?: boolean;
  /** The name is the value of `key` itself: the schema's check of that field reports it, not the name check. */
  readonly verbatim?: boolean;
}

/** The config fields names are made of (a StackConfig fits). */
export interface NamingInput {
  readonly kind: "platform" | "enterprise";
  readonly environment: string;
  readonly project: string;
  readonly region: string;
  readonly domain: string;
  readonly buckets: readonly string[];
  readonly artifactRegistry: { readonly repositoryId?: string | undefined };
  readonly edge: { readonly apiSubdomain: string };
  readonly naming?: { readonly randomSuffix: boolean };
}

/**
 * Service accounts the ServiceAccounts component (one per node pool, and the backend's), the metrics pipeline and
 * the image pusher (components/gcp/imagePusher.ts) and Binary Authorization's build signer
 * (components/gcp/binaryAuthorization.ts) create, by the role part of the id.
 */
export const ACCOUNT_ROLES = ["gke-system", "gke-backend", "gke-mcp", "backend", "metrics-adapter", "pusher", "attestor-build"] as const;

/**
 * Stand-in for the random part in names checked at config time: the real one is 6 hex characters
 * (RANDOM_SUFFIX_BYTES), which cannot spell any word GCP refuses, so any 6 hex digits check the same.
 */
export const RANDOM_PLACEHOLDER = "000000";

export function derivedNames(c: NamingInput): DerivedName[] {
  const { project, region, environment: env } = c;
  const random = c.naming?.randomSuffix ?? false;
  const suffix = random ? RANDOM_PLACEHOLDER : undefined;
  const inProject = `project:${project}`;
  const inRegion = `project:${project}/${region}`;
  const base = ["gumstack", env];
  const ring = keyRingName(env, suffix);
  const names: DerivedName[] = [
    { kind: "project", name: project, scope: "global", key: "project", verbatim: true },
    ...c.buckets.map((purpose, i): DerivedName => ({
      kind: "bucket",
      name: bucketName(project, env, purpose, suffix),
      scope: "global",
      key: `buckets[${i}]`,
      random,
    })),
    ...ACCOUNT_ROLES.map((role): DerivedName => ({
      kind: "serviceAccount",
      name: accountId(role, env),
      scope: inProject,
      key: "environment",
    })),
    { kind: "keyRing", name: ring, scope: inRegion, key: "environment", random },
    // Binary Authorization's signing keys (components/gcp/binaryAuthorization.ts), beside the KMS component's.
    ...[...KEY_PURPOSES, "binauthz-build", "binauthz-release"].map((purpose): DerivedName => ({
      kind: "cryptoKey",
      name: purpose,
      scope: `${inRegion}/${ring}`,
      key: "environment",
      random,
    })),
    // The tenant repository: `mcp-<environment>` unless set (ArtifactRegistry's tenantRepositoryId; a pure copy
    // here, so config checks do not load the provider SDK; test/config-names.test.ts proves they agree).
    {
      kind: "repository",
      name: c.artifactRegistry.repositoryId ?? defaultTenantRepositoryId(env),
      scope: inRegion,
      key: c.artifactRegistry.repositoryId === undefined ? "environment" : "artifactRegistry.repositoryId",
      verbatim: c.artifactRegistry.repositoryId !== undefined,
    },
    { kind: "spannerInstance", name: boundedName(base, 30), scope: inProject, key: "environment" },
    { kind: "cluster", name: `gumstack-${env}`, scope: inRegion, key: "environment" },
    { kind: "network", name: boundedName(base, 63), scope: inProject, key: "environment" },
    { kind: "subnetwork", name: boundedName([...base, "gke"], 63), scope: inRegion, key: "environment" },
    { kind: "router", name: boundedName([...base, "router"], 63), scope: inRegion, key: "environment" },
    {
      kind: "nat",
      name: boundedName([...base, "nat"], 63),
      scope: `${inRegion}/${boundedName([...base, "router"], 63)}`,
      key: "environment",
    },
    // The tenants' own Cloud NAT (MCP pods only) on the same router.
    {
      kind: "nat",
      name: boundedName([...base, "nat", "tenant"], 63),
      scope: `${inRegion}/${boundedName([...base, "router"], 63)}`,
      key: "environment",
    },
    { kind: "firewall", name: boundedName([...base, "allow-google-lb"], 63), scope: inProject, key: "environment" },
    { kind: "firewall", name: boundedName([...base, "allow-control-plane-webhooks"], 63), scope: inProject, key: "environment" },
    { kind: "domain", name: c.domain, scope: "global", key: "domain", verbatim: true },
    { kind: "domain", name: `${c.edge.apiSubdomain}.${c.domain}`, scope: "global", key: "edge.apiSubdomain" },
  ];
  return names;
}

/**
 * The rule of each kind of name. Names that are a config value verbatim (the project id, a set repository id, the
 * domain) are checked by the schema on that field, with FIELD_RULES; here they would only repeat the refusal.
 * Names GCP documents no rule for beyond RFC 1035 (instance, cluster, network) are made of the environment, whose
 * own pattern keeps them valid.
 */
const RULES: Partial<Record<NameKind, (name: string) => string | undefined>> = {
  bucket: bucketNameProblem,
  serviceAccount: serviceAccountIdProblem,
  keyRing: kmsIdProblem,
  cryptoKey: kmsIdProblem,
  repository: repositoryIdProblem,
  domain: domainProblem,
};

/** The rules of the config fields that are names themselves, for the schema. */
export const FIELD_RULES = { project: projectIdProblem, domain: domainProblem } as const;

const WHAT: Record<NameKind, string> = {
  project: "project id",
  bucket: "bucket name",
  serviceAccount: "service account id",
  keyRing: "key ring name",
  cryptoKey: "key name",
  repository: "repository id",
  spannerInstance: "Spanner instance id",
  cluster: "cluster name",
  network: "network name",
  subnetwork: "subnetwork name",
  router: "router name",
  nat: "NAT name",
  firewall: "firewall name",
  domain: "host name",
};

/**
 * Every derived name GCP (or a public CA) would refuse, as { key, message }: the message names the derived name
 * and the rule. The key is the config key to change.
 */
export function derivedNameProblems(c: NamingInput): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  const seen = new Set<string>();
  const domainOk = domainProblem(c.domain) === undefined;
  for (const n of derivedNames(c)) {
    if (n.verbatim) continue;
    // The API host's own label is what can be wrong once the domain is right; a wrong domain is refused on its own.
    if (n.kind === "domain" && !domainOk) continue;
    const problem = RULES[n.kind]?.(n.name);
    const id = `${n.key}|${n.kind}|${n.name}`;
    if (problem && !seen.has(id)) {
      seen.add(id);
      const shown = n.random ? n.name.replace(RANDOM_PLACEHOLDER, "<random>") : n.name;
      out.push({ key: n.key, message: `makes the ${WHAT[n.kind]} "${shown}": ${problem}` });
    }
  }
  return out;
}
