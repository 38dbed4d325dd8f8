// Environment variable names reserved for the platform: no MCP container sets one, directly or through an
// envFrom prefix that would produce one.
import { and, concat, has, list, ne, none, or, t, variable, type Expr, type PolicyDefinition } from "../cel/index.js";
import type { Resolved } from "./args.js";
import { containers, POD_TEMPLATE_CHANGED, startsWithAny, WORKLOAD_RULES, WORKLOAD_VARIABLES } from "./workload.js";

export function reservedEnvPolicy(r: Resolved): PolicyDefinition {
  const reserved = (name: Expr<string>) => startsWithAny(r.reservedEnvPrefixes, name);
  const shown = r.reservedEnvPrefixes.join(" or ");
  const reservedEnv = variable(
    "reservedEnv",
    t.list(t.string),
    containers.ref
      .filter("c", (c) =>
        and(
          has(c.f("env")),
          c.f("env").exists("e", (e) => reserved(e.f("name"))),
        ),
      )
      .map("c", (c) =>
        concat(
          c.f("name"),
          " sets ",
          c
            .f("env")
            .filter("e", (e) => reserved(e.f("name")))
            .map("e", (e) => e.f("name"))
            .join("+"),
        ),
      ),
  );
  // An envFrom prefix such as "GUMSTACK_" or "GUM" turns ordinary keys into reserved names.
  const reservedEnvFromPrefixes = variable(
    "reservedEnvFromPrefixes",
    t.list(t.string),
    containers.ref
      .filter("c", (c) =>
        and(
          has(c.f("envFrom")),
          c.f("envFrom").exists("f", (f) =>
            and(
              has(f.f("prefix")),
              ne(f.f("prefix"), ""),
              list(r.reservedEnvPrefixes).exists("p", (p) => or(f.f("prefix").startsWith(p), p.startsWith(f.f("prefix")))),
            ),
          ),
        ),
      )
      .map("c", (c) => c.f("name")),
  );
  return {
    id: "reserved-env",
    rules: WORKLOAD_RULES,
    matchConditions: [POD_TEMPLATE_CHANGED],
    variables: [...WORKLOAD_VARIABLES, reservedEnv, reservedEnvFromPrefixes],
    validations: [
      none(
        reservedEnv,
        `environment variables starting with ${shown} are reserved for the platform and may not be set by an MCP server`,
        "containers",
      ),
      none(
        reservedEnvFromPrefixes,
        `envFrom prefixes that would produce names starting with ${shown} are not allowed: those names are reserved for the platform`,
        "containers",
      ),
    ],
  };
}
