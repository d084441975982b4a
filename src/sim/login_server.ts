/**
 * The simulated Microsoft identity platform token endpoint:
 * `POST /{tenant}/oauth2/v2.0/token` with the client credentials grant, a client secret (form
 * field or HTTP Basic), a certificate client assertion or a federated assertion (workload
 * identity, see `federated.ts`). Errors carry Entra ID's body shape
 * (`error`, `error_description` "AADSTSnnnn: …", `error_codes`, trace/correlation ids).
 * @module
 */
import type { AssertionVerifier } from "./client_assertion.ts";
import type { FederatedIssuer } from "./federated.ts";
import type { SeededRandom } from "./prng.ts";
import { jsonResponse } from "./responses.ts";
import type { AnswerFault, Endpoint, RequestContext } from "./sim_server.ts";
import type { TokenStore } from "./tokens.ts";

/** The resource Graph tokens are requested for. */
export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const GRAPH_APP_ID_SCOPE = "00000003-0000-0000-c000-000000000000/.default";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Options of {@link LoginEndpoint}. */
export interface LoginOptions {
  tenantId: string;
  /** Other accepted names of the tenant, e.g. "contoso.onmicrosoft.com". */
  tenantAliases: readonly string[];
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds: number;
  tokens: TokenStore;
  assertions: AssertionVerifier;
  /** Federated credentials (workload identity); assertions not issued by the app go here. */
  federated?: FederatedIssuer;
  random: SeededRandom;
  /** Extra accepted scope, e.g. the simulator's own Graph origin + "/.default". */
  extraScopes: readonly string[];
}

interface AadError {
  status: number;
  error: string;
  code: number;
  text: string;
}

function aadTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

function missing(parameter: string): AadError {
  return {
    status: 400,
    error: "invalid_request",
    code: 900144,
    text: `The request body must contain the following parameter: '${parameter}'.`,
  };
}

/** The login server. */
export class LoginEndpoint implements Endpoint {
  readonly server = "login" as const;
  #options: LoginOptions;

  constructor(options: LoginOptions) {
    this.#options = options;
  }

  async handle(request: Request, context: RequestContext): Promise<Response> {
    const url = new URL(request.url);
    const match = /^\/([^/]+)\/oauth2\/v2\.0\/token\/?$/.exec(url.pathname);
    if (match === null) return new Response("Not found", { status: 404 });
    if (request.method !== "POST") {
      return this.#error({
        status: 405,
        error: "invalid_request",
        code: 900561,
        text: "The endpoint only accepts POST, OPTIONS requests. Received a GET request.",
      }, context);
    }
    const problem = await this.#check(decodeURIComponent(match[1]!), request, url);
    if (problem) return this.#error(problem, context);
    const lifetime = this.#options.tokenLifetimeSeconds;
    const token = this.#options.tokens.issue({
      clientId: this.#options.clientId,
      tenantId: this.#options.tenantId,
      lifetimeSeconds: lifetime,
    });
    return jsonResponse(
      { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token },
      { headers: { "cache-control": "no-store, no-cache", pragma: "no-cache" } },
    );
  }

  faultAnswer(fault: AnswerFault, _request: Request, context: RequestContext): Response {
    if (fault.kind !== "status") return new Response(null, { status: 500 });
    if (fault.body !== undefined) {
      return new Response(fault.body, {
        status: fault.status,
        headers: retryHeaders(
          fault.retryAfter,
          fault.contentType ?? "application/json; charset=utf-8",
        ),
      });
    }
    const throttled = fault.status === 429 || fault.status >= 500;
    return this.#error(
      {
        status: fault.status,
        error: fault.code ?? (throttled ? "temporarily_unavailable" : "invalid_request"),
        code: throttled ? 90033 : 90000,
        text: throttled
          ? "A transient error has occurred. Please try again."
          : "The request was rejected by a scripted fault.",
      },
      context,
      retryHeaders(fault.retryAfter),
    );
  }

  async #check(tenant: string, request: Request, url: URL): Promise<AadError | undefined> {
    const o = this.#options;
    if (["common", "consumers"].includes(tenant.toLowerCase())) {
      return {
        status: 400,
        error: "invalid_request",
        code: 9001023,
        text:
          "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
      };
    }
    const tenants = [o.tenantId, ...o.tenantAliases].map((t) => t.toLowerCase());
    if (!tenants.includes(tenant.toLowerCase())) {
      return {
        status: 400,
        error: "invalid_request",
        code: 90002,
        text:
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
      };
    }
    const form = await readForm(request);
    const basic = basicCredentials(request);
    const grantType = form.get("grant_type");
    if (!grantType) return missing("grant_type");
    if (grantType !== "client_credentials") {
      return {
        status: 400,
        error: "unsupported_grant_type",
        code: 70003,
        text: `The app requested an unsupported grant type '${grantType}'.`,
      };
    }
    const clientId = form.get("client_id") ?? basic?.id;
    if (!clientId) return missing("client_id");
    if (clientId.toLowerCase() !== o.clientId.toLowerCase()) {
      return {
        status: 400,
        error: "unauthorized_client",
        code: 700016,
        text:
          `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      };
    }
    const scope = form.get("scope");
    if (!scope) return missing("scope");
    const scopes = [GRAPH_SCOPE, GRAPH_APP_ID_SCOPE, ...o.extraScopes];
    if (!scope.split(" ").every((s) => scopes.includes(s))) {
      return {
        status: 400,
        error: "invalid_scope",
        code: 70011,
        text:
          `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      };
    }
    return await this.#checkCredential(form, basic?.secret, { clientId, url, tenant });
  }

  async #checkCredential(
    form: URLSearchParams,
    basicSecret: string | undefined,
    request: { clientId: string; url: URL; tenant: string },
  ): Promise<AadError | undefined> {
    const secret = form.get("client_secret") ?? basicSecret;
    const assertion = form.get("client_assertion");
    if (secret === undefined && assertion === null) {
      return {
        status: 401,
        error: "invalid_client",
        code: 7000218,
        text:
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      };
    }
    if (assertion !== null) {
      if (form.get("client_assertion_type") !== ASSERTION_TYPE) {
        return {
          status: 400,
          error: "invalid_request",
          code: 900144,
          text:
            `The request body must contain the following parameter: 'client_assertion_type' with the value '${ASSERTION_TYPE}'.`,
        };
      }
      const audiences = [request.url.origin, "https://login.microsoftonline.com"].flatMap((host) =>
        [request.tenant, this.#options.tenantId].map((t) => `${host}/${t}/oauth2/v2.0/token`)
      );
      const federated = this.#options.federated;
      const failure = federated?.isFederated(assertion, request.clientId)
        ? await federated.verify(assertion)
        : await this.#options.assertions.verify(assertion, {
          clientId: request.clientId,
          audiences,
        });
      if (failure) {
        return {
          status: 401,
          error: "invalid_client",
          code: failure.aadsts,
          text: failure.description,
        };
      }
      return undefined;
    }
    if (secret !== this.#options.clientSecret) {
      return {
        status: 401,
        error: "invalid_client",
        code: 7000215,
        text:
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.#options.clientId}'.`,
      };
    }
    return undefined;
  }

  #error(problem: AadError, context: RequestContext, headers?: Headers): Response {
    const traceId = this.#options.random.guid();
    const correlationId = context.ids.clientRequestId;
    const timestamp = aadTimestamp(context.now);
    const body = {
      error: problem.error,
      error_description:
        `AADSTS${problem.code}: ${problem.text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [problem.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${problem.code}`,
    };
    return jsonResponse(body, { status: problem.status, headers });
  }
}

function retryHeaders(retryAfter: string | undefined, contentType?: string): Headers {
  const headers = new Headers();
  if (retryAfter !== undefined) headers.set("retry-after", retryAfter);
  if (contentType !== undefined) headers.set("content-type", contentType);
  return headers;
}

async function readForm(request: Request): Promise<URLSearchParams> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return new URLSearchParams();
  }
  return new URLSearchParams(await request.text());
}

function basicCredentials(request: Request): { id: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  if (match === null) return undefined;
  try {
    const decoded = atob(match[1]!);
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}
