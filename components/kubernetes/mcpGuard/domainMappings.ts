// DomainMappings: a server's host is `<its Service>.<domain>`, never a reserved one, never another's, and TLS
// ends at the platform's load balancer. The name is the host and is immutable, but spec.ref can change: both
// CREATE and UPDATE are judged. Knative itself refuses a ref to another namespace (knative.dev/pkg
// apis/duck/v1/knative_reference.go, "mismatched namespaces").
import {
  and,
  concat,
  cond,
  eq,
  group,
  has,
  isIn,
  list,
  not,
  object,
  or,
  quoted,
  rule,
  say,
  validation,
  type PolicyDefinition,
} from "../cel/index.js";
import type { Resolved } from "./args.js";
import { escapeRe, KNATIVE } from "./workload.js";

export function domainMappingPolicy(r: Resolved): PolicyDefinition {
  const hostPattern = `^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.${escapeRe(r.domain)}$`;
  const reserved = r.reservedHostnames.map((s) => `${s}.${r.domain}`);
  const shape = `a DomainMapping host must be <server>.${r.domain}, one label under the platform domain, whose certificate and DNS the platform manages`;
  const taken = `the host is reserved for the platform (${reserved.join(", ")}) and cannot be mapped to an MCP server`;
  const bound = `a DomainMapping must be named <its Service>.${r.domain}: a server's host is its own name, so no server can take another's`;
  const target = "a DomainMapping must point at a Knative Service (spec.ref apiVersion serving.knative.dev/v1, kind Service)";
  const tls = "spec.tls is not allowed on a DomainMapping: TLS ends at the platform's load balancer";
  const name = object.path("metadata.name");
  const ref = object.path("spec.ref");
  const isShaped = name.matches(hostPattern);
  const isReserved = isIn(name, list(reserved));
  const refName = and(has(ref), has(ref.f("name")));
  const mapping = (
    host: string,
    ref: Record<string, string> = { apiVersion: "serving.knative.dev/v1", kind: "Service", name: host.split(".")[0]! },
    spec = {},
  ) => ({
    apiVersion: "serving.knative.dev/v1beta1",
    kind: "DomainMapping",
    metadata: { name: host, namespace: r.namespace },
    spec: { ref, ...spec },
  });
  const sample = (name: string, object: Record<string, unknown>) => ({ name, kind: "DomainMapping", object });
  const service = { apiVersion: "serving.knative.dev/v1", kind: "Service", name: "acme-weather" };
  return {
    id: "domain-mappings",
    rules: [rule(KNATIVE, ["v1beta1", "v1alpha1"], ["domainmappings"])],
    suite: {
      allowed: [
        sample("a server's own host", mapping(`acme-weather.${r.domain}`)),
        {
          ...sample("its Service changed for one of the same name", mapping(`acme-weather.${r.domain}`)),
          operation: "UPDATE",
          oldObject: mapping(`acme-weather.${r.domain}`),
        },
      ],
      disallowed: [
        { ...sample("a host outside the domain", mapping("acme-weather.evil.com")), refusedWith: "one label under the platform domain" },
        {
          ...sample("two labels under the domain", mapping(`a.b.${r.domain}`, service)),
          refusedWith: "one label under the platform domain",
        },
        {
          ...sample("a reserved host", mapping(`${reserved[0]!.split(".")[0]}.${r.domain}`)),
          refusedWith: "the host is reserved for the platform",
        },
        { ...sample("another server's host", mapping(`globex-crm.${r.domain}`, service)), refusedWith: "must be named <its Service>" },
        {
          ...sample("a Route, not a Service", mapping(`acme-weather.${r.domain}`, { ...service, kind: "Route" })),
          refusedWith: "must point at a Knative Service",
        },
        {
          ...sample("its own TLS", mapping(`acme-weather.${r.domain}`, service, { tls: { secretName: "acme-weather-cert" } })),
          refusedWith: "spec.tls is not allowed",
        },
      ],
    },
    validations: [
      validation(isShaped, say(shape).got(quoted(name))),
      validation(not(isReserved), say(taken).first(quoted(name), ": ")),
      validation(
        or(not(isShaped), isReserved, group(and(refName, eq(name, concat(ref.f("name"), `.${r.domain}`))))),
        say(bound).then("; got ", quoted(name), " for Service ", cond(refName, quoted(ref.f("name")), "none")),
      ),
      validation(
        and(
          has(ref),
          has(ref.f("kind")),
          eq(ref.f("kind"), "Service"),
          has(ref.f("apiVersion")),
          eq(ref.f("apiVersion"), "serving.knative.dev/v1"),
        ),
        target,
      ),
      validation(not(has(object.path("spec.tls"))), tls),
    ],
  };
}
