// Tenant ids the platform reserves in every stack's tenant MCP repository, without imports: the config schema
// reads them before any component module (and the Pulumi SDKs they load) is needed.
//
// The MCP pool's nodes may read only the tenant MCP repository (components/gcp/serviceAccounts.ts), so what the
// platform itself runs there (the isolation canary, the builder of the build plane) is copied, by digest, by the
// release identity into a reserved path of that repository (docs/build-plane.md). No MCP server may take such a
// path as its tenant: the MCP admission guard refuses these ids as tenant labels, the canary's excepted.
import { CANARY_TENANT } from "../serving/isolationCanaryTenant.js";

/** The path segment of the builder image in the tenant MCP repository: `<tenant repo>/gumstack-build/<name>@sha256:<digest>`. */
export const BUILD_IMAGE_PATH = "gumstack-build";
/** Every reserved platform path; the canary's is also a tenant label (the canary runs as that MCP tenant on purpose). */
export const RESERVED_PLATFORM_TENANTS: readonly string[] = [BUILD_IMAGE_PATH, CANARY_TENANT];
