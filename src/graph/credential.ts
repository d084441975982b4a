/**
 * Builds the {@link TokenProvider} a job's `auth` method needs: client secret, certificate
 * (PEM or PKCS#12), workload identity (federated token file) or managed identity.
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Settings } from "../config/settings.ts";
import { AuthError, ConfigError } from "../errors.ts";
import type { Transport } from "../http/transport.ts";
import { scopeFor, TokenProvider } from "./auth.ts";
import { ManagedIdentityCredential } from "./managed_identity.ts";

/** The settings a credential reads. */
export type CredentialSettings = Pick<
  Settings,
  | "tenant_id"
  | "client_id"
  | "client_secret"
  | "client_certificate_path"
  | "graph_base_url"
  | "authority_host"
  | "request_timeout_seconds"
  | "auth"
  | "auth_origins"
  | "federated_token_file"
  | "managed_identity_client_id"
  | "managed_identity_source"
  | "client_certificate_password"
>;

/** What a credential needs besides the settings. */
export interface CredentialDeps {
  transport: Transport;
  clock: Clock;
  /** A fetch that never uses the settings proxy (managed identity endpoints). */
  directFetch: typeof fetch;
  readTextFile?: (path: string) => Promise<string>;
}

/** The method of `settings`: `auth`, else what the credential keys imply (as before `auth`). */
export function authMethodOf(settings: Pick<Settings, "auth" | "client_certificate_path">) {
  return settings.auth ?? (settings.client_certificate_path ? "certificate" : "client_secret");
}

/**
 * Reads the federated token for each token request: the kubelet rotates the file
 * (research/secretless-auth.md §2 "Rotation").
 */
export function federatedAssertion(
  path: string,
  origin: string | undefined,
  read: (path: string) => Promise<string> = (p) => Deno.readTextFile(p),
): () => Promise<string> {
  const where = origin ? ` (from ${origin})` : "";
  return async () => {
    let text: string;
    try {
      text = (await read(path)).trim();
    } catch (error) {
      throw new AuthError(
        `Cannot read federated_token_file ${path}${where}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (text === "") {
      throw new AuthError(`Cannot use federated_token_file ${path}${where}: the file is empty`);
    }
    return text;
  };
}

/** The token provider of `settings`. */
export function createTokenProvider(
  settings: CredentialSettings,
  deps: CredentialDeps,
): TokenProvider {
  const method = authMethodOf(settings);
  const common = {
    transport: deps.transport,
    clock: deps.clock,
    authorityHost: settings.authority_host,
    tenantId: settings.tenant_id ?? "",
    clientId: settings.client_id ?? "",
    graphBaseUrl: settings.graph_base_url,
  };
  switch (method) {
    case "managed_identity": {
      const source = settings.managed_identity_source;
      if (!source) {
        throw new ConfigError(
          'Cannot use auth "managed_identity": no managed identity endpoint was resolved',
        );
      }
      const credential = new ManagedIdentityCredential({
        source,
        ...(settings.managed_identity_client_id !== undefined
          ? { clientId: settings.managed_identity_client_id }
          : {}),
        resource: scopeFor(settings.graph_base_url).replace(/\/\.default$/, ""),
        fetch: deps.directFetch,
        clock: deps.clock,
        timeoutMs: settings.request_timeout_seconds * 1000,
      });
      return new TokenProvider({ ...common, source: credential });
    }
    case "workload_identity":
      return new TokenProvider({
        ...common,
        clientAssertion: federatedAssertion(
          settings.federated_token_file!,
          settings.auth_origins?.federated_token_file,
          deps.readTextFile,
        ),
      });
    case "certificate":
      return new TokenProvider({
        ...common,
        clientCertificatePath: settings.client_certificate_path,
        ...(settings.client_certificate_password !== undefined
          ? { certificatePassword: settings.client_certificate_password }
          : {}),
      });
    default:
      return new TokenProvider({ ...common, clientSecret: settings.client_secret });
  }
}
