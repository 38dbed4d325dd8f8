// The Google Cloud REST calls the preflight makes, with the operator's own credentials: Application Default
// Credentials through google-auth-library (Google's Node client for auth; its AuthClient.request sends each call
// with the token and the ADC quota project's x-goog-user-project header), or an access token from
// GOOGLE_OAUTH_ACCESS_TOKEN (the variable the Terraform provider under @pulumi/gcp also reads).
// Each response type below is the part of the documented REST shape the preflight reads; the reference page is
// cited on each. Every endpoint is replaced by GUMSTACK_PREFLIGHT_ENDPOINT (tests point it at a fake on loopback).
import { GoogleAuth, OAuth2Client, type AuthClient } from "google-auth-library";

/** A call reached the API and it answered with an error status: the check that made it reports one line. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly url: string,
    /** The API's own message (`error.message` of the Google JSON error body), one line. */
    readonly apiMessage: string,
  ) {
    super(`${status} from ${url}: ${apiMessage}`);
  }
}

/** The preflight cannot talk to Google at all (no credentials, endpoint unreachable): exit 2. */
export class CannotConnect extends Error {
  override name = "CannotConnect";
}

/** The APIs the preflight reads, by their service name (the host of each endpoint). */
export type Api = "orgpolicy" | "cloudresourcemanager" | "cloudbilling" | "serviceusage" | "compute" | "dns";

/** Where each API answers: `https://<api>.googleapis.com`, or one root for all from GUMSTACK_PREFLIGHT_ENDPOINT. */
export function rootUrl(api: Api, env: NodeJS.ProcessEnv = process.env): string {
  const override = env.GUMSTACK_PREFLIGHT_ENDPOINT?.replace(/\/+$/, "");
  return override || `https://${api}.googleapis.com`;
}

/** What the preflight needs of a client: one authenticated JSON request, and the caller's quota project. */
export interface GoogleClient {
  request<T>(api: Api, method: "GET" | "POST", path: string, body?: unknown): Promise<T>;
  /** The ADC quota project (`gcloud auth application-default set-quota-project`), if any. */
  readonly quotaProject: string | undefined;
}

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Connection errors of a reused socket, not of an unreachable endpoint. */
const RESET = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

/** The Google JSON error body: https://cloud.google.com/apis/design/errors#http_mapping */
interface ErrorBody {
  error?: { code?: number; message?: string; status?: string };
}

function oneLineMessage(data: unknown, fallback: string): string {
  const msg = (data as ErrorBody | undefined)?.error?.message;
  return (typeof msg === "string" && msg ? msg : fallback).replace(/\s+/g, " ").trim();
}

/** A client over an AuthClient: the call goes through AuthClient.request (gaxios), errors become ApiError/CannotConnect. */
export function clientOf(auth: AuthClient, quotaProject: string | undefined, env: NodeJS.ProcessEnv = process.env): GoogleClient {
  return {
    quotaProject,
    async request<T>(api: Api, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
      const url = `${rootUrl(api, env)}${path}`;
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await auth.request<T>({
            url,
            method,
            ...(body === undefined ? {} : { data: body }),
            responseType: "json",
            // No retries on an answer: a preflight reports what the API said, in seconds.
            retry: false,
            timeout: 30_000,
          });
          return res.data;
        } catch (e) {
          const err = e as {
            response?: { status: number; data?: unknown; statusText?: string };
            code?: string;
            message?: string;
            cause?: { code?: string };
          };
          if (err.response) throw new ApiError(err.response.status, url, oneLineMessage(err.response.data, err.response.statusText ?? ""));
          const code = err.code ?? err.cause?.code;
          // A kept-alive connection the server closed as it was reused: every call here is a read (testIamPermissions
          // too), so it is sent once more on a new connection.
          if (attempt === 1 && code !== undefined && RESET.has(code)) continue;
          throw new CannotConnect(`cannot reach ${url}: ${code ?? (err.message ?? String(e)).split("\n")[0]}`);
        }
      }
    },
  };
}

/**
 * The operator's credentials: GOOGLE_OAUTH_ACCESS_TOKEN when set (with GOOGLE_CLOUD_QUOTA_PROJECT as the quota
 * project), else Application Default Credentials. Throws CannotConnect with the fix when there are none.
 */
export async function operatorClient(env: NodeJS.ProcessEnv = process.env): Promise<GoogleClient> {
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN?.trim();
  if (token) {
    const quotaProject = env.GOOGLE_CLOUD_QUOTA_PROJECT || undefined;
    const client = new OAuth2Client();
    client.setCredentials({ access_token: token });
    if (quotaProject) client.quotaProjectId = quotaProject;
    return clientOf(client, quotaProject, env);
  }
  // Without an explicit choice, google-auth-library looks for a GCE metadata server over the network when it
  // finds no credentials file; on a workstation that is a wait and a packet to 169.254.169.254 for nothing. Ask the
  // BIOS instead (gcp-metadata's METADATA_SERVER_DETECTION=bios-only: a GCE VM says so there); set the variable
  // (e.g. assume-present) to override.
  process.env.METADATA_SERVER_DETECTION ??= env.METADATA_SERVER_DETECTION ?? "bios-only";
  let client: AuthClient;
  try {
    client = await new GoogleAuth({ scopes: [SCOPE] }).getClient();
    // A token now, so expired or revoked credentials are one line here, not an error on the first check.
    await client.getAccessToken();
  } catch (e) {
    throw new CannotConnect(
      `no Google credentials: Application Default Credentials not found (${(e as Error).message.split("\n")[0]}); ` +
        "run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS",
    );
  }
  return clientOf(client, client.quotaProjectId || env.GOOGLE_CLOUD_QUOTA_PROJECT || undefined, env);
}
