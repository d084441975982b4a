/**
 * The simulated managed identity endpoints, on one loopback server (logged and faulted as
 * "login"):
 *
 * - `GET /msi/token?api-version=2019-08-01&resource=…` with `X-IDENTITY-HEADER` (App Service,
 *   `IDENTITY_ENDPOINT` = this URL, `IDENTITY_HEADER` = the configured header value);
 * - `GET /arc/metadata/identity/oauth2/token?api-version=2019-11-01&resource=…` with
 *   `Metadata: true` (Azure Arc HIMDS): without `Authorization` it writes a fresh key file into
 *   the Tokens folder and answers 401 `WWW-Authenticate: Basic realm=<file>`; with
 *   `Authorization: Basic <key>` it issues the token;
 * - `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…` with
 *   `Metadata: true` (Azure VM IMDS), `client_id` choosing a user-assigned identity.
 *
 * research/secretless-auth.md §2 "Azure Arc-enabled servers (HIMDS)", "Azure VMs (IMDS)".
 * @module
 */
import { join } from "node:path";
import { GRAPH_SCOPE } from "./login_server.ts";
import type { SeededRandom } from "./prng.ts";
import { jsonResponse } from "./responses.ts";
import type { AnswerFault, Endpoint, RequestContext } from "./sim_server.ts";
import type { TokenStore } from "./tokens.ts";
import type { SimIdentity } from "./types.ts";

/** Options of {@link IdentityEndpoint}. */
export interface IdentityOptions {
  tenantId: string;
  /** The system-assigned identity. */
  system: SimIdentity;
  /** User-assigned identities, selectable with `client_id`. */
  userAssigned: readonly SimIdentity[];
  /** The App Service `IDENTITY_HEADER` value. */
  identityHeader: string;
  /** The Arc agent's Tokens folder (key files are written here); undefined: Arc answers 404. */
  arcTokensDir: string | undefined;
  /** Accepted resources besides Graph (e.g. the simulator's own Graph origin). */
  extraResources: readonly string[];
  tokens: TokenStore;
  tokenLifetimeSeconds: number;
  random: SeededRandom;
}

const GRAPH_RESOURCE = GRAPH_SCOPE.replace(/\/\.default$/, "");

function badRequest(error: string, description: string, status = 400): Response {
  return jsonResponse({ error, error_description: description }, { status });
}

/** The managed identity server. */
export class IdentityEndpoint implements Endpoint {
  readonly server = "login" as const;
  #options: IdentityOptions;
  #arcKeys = new Set<string>();

  constructor(options: IdentityOptions) {
    this.#options = options;
  }

  async handle(request: Request, context: RequestContext): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET") return badRequest("invalid_request", "Use GET.", 405);
    switch (url.pathname) {
      case "/msi/token":
        return this.#appService(request, url, context);
      case "/arc/metadata/identity/oauth2/token":
        return await this.#arc(request, url, context);
      case "/metadata/identity/oauth2/token":
        return this.#imds(request, url, context);
      default:
        return new Response("Not found", { status: 404 });
    }
  }

  faultAnswer(fault: AnswerFault, _request: Request, _context: RequestContext): Response {
    if (fault.kind !== "status") return new Response(null, { status: 500 });
    const headers = new Headers({ "content-type": "application/json" });
    if (fault.retryAfter !== undefined) headers.set("retry-after", fault.retryAfter);
    return new Response(
      fault.body ??
        JSON.stringify({ error: "temporarily_unavailable", error_description: "Scripted fault." }),
      { status: fault.status, headers },
    );
  }

  #identity(url: URL): SimIdentity | Response {
    const clientId = url.searchParams.get("client_id");
    if (clientId === null) return this.#options.system;
    const found = this.#options.userAssigned.find((i) =>
      i.clientId.toLowerCase() === clientId.toLowerCase()
    );
    return found ?? badRequest("invalid_request", "Identity not found");
  }

  #resourceProblem(url: URL, apiVersion: string): Response | undefined {
    if (url.searchParams.get("api-version") !== apiVersion) {
      return badRequest(
        "invalid_request",
        `Invalid or missing api-version: expected ${apiVersion}.`,
      );
    }
    const resource = url.searchParams.get("resource");
    if (resource === null) {
      return badRequest("invalid_request", "Required query variable 'resource' is missing");
    }
    const accepted = [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, ...this.#options.extraResources];
    if (!accepted.includes(resource)) {
      return badRequest(
        "invalid_resource",
        `AADSTS500011: The resource principal named ${resource} was not found.`,
      );
    }
    return undefined;
  }

  #issue(identity: SimIdentity, resource: string, context: RequestContext, expiresOnly: boolean) {
    const lifetime = this.#options.tokenLifetimeSeconds;
    const token = this.#options.tokens.issue({
      clientId: identity.clientId,
      tenantId: this.#options.tenantId,
      lifetimeSeconds: lifetime,
      objectId: identity.objectId,
    });
    const expiresOn = String(Math.floor(context.now / 1000) + lifetime);
    const body: Record<string, string> = {
      access_token: token,
      expires_on: expiresOn,
      resource,
      token_type: "Bearer",
      client_id: identity.clientId,
    };
    if (!expiresOnly) {
      body.expires_in = String(lifetime);
      body.ext_expires_in = String(lifetime);
      body.not_before = String(Math.floor(context.now / 1000));
    }
    return jsonResponse(body, { headers: { "cache-control": "no-store" } });
  }

  #appService(request: Request, url: URL, context: RequestContext): Response {
    const header = request.headers.get("x-identity-header");
    if (header === null) {
      return badRequest("invalid_request", "The X-IDENTITY-HEADER header is missing.");
    }
    if (header !== this.#options.identityHeader) {
      return badRequest("unauthorized", "The X-IDENTITY-HEADER header is not valid.", 401);
    }
    const problem = this.#resourceProblem(url, "2019-08-01");
    if (problem) return problem;
    const identity = this.#identity(url);
    if (identity instanceof Response) return identity;
    return this.#issue(identity, url.searchParams.get("resource")!, context, true);
  }

  async #arc(request: Request, url: URL, context: RequestContext): Promise<Response> {
    const dir = this.#options.arcTokensDir;
    if (dir === undefined) return new Response("Not found", { status: 404 });
    if (request.headers.get("metadata") !== "true") {
      return badRequest("invalid_request", "Required metadata header not specified");
    }
    const problem = this.#resourceProblem(url, "2019-11-01");
    if (problem) return problem;
    const authorization = request.headers.get("authorization");
    if (authorization === null) {
      const key = this.#options.random.opaque(44);
      const path = join(dir, `${this.#options.random.guid()}.key`);
      await Deno.writeTextFile(path, key);
      this.#arcKeys.add(key);
      return new Response(null, {
        status: 401,
        headers: { "www-authenticate": `Basic realm=${path}` },
      });
    }
    const key = /^Basic\s+(.+)$/i.exec(authorization)?.[1]?.trim();
    if (key === undefined || !this.#arcKeys.has(key)) {
      return badRequest("invalid_request", "The secret presented is not valid.", 401);
    }
    this.#arcKeys.delete(key);
    return this.#issue(this.#options.system, url.searchParams.get("resource")!, context, false);
  }

  #imds(request: Request, url: URL, context: RequestContext): Response {
    if (request.headers.get("metadata") !== "true") {
      return badRequest("invalid_request", "Required metadata header not specified");
    }
    const problem = this.#resourceProblem(url, "2018-02-01");
    if (problem) return problem;
    const identity = this.#identity(url);
    if (identity instanceof Response) return identity;
    return this.#issue(identity, url.searchParams.get("resource")!, context, false);
  }
}
