/**
 * Where a managed identity's token comes from, decided from the environment: App Service
 * (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), Azure Arc (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`),
 * else the Azure VM IMDS (research/secretless-auth.md §2 "Azure Arc-enabled servers (HIMDS)",
 * "Azure VMs (IMDS)").
 * @module
 */
import { ConfigError } from "../errors.ts";
import { routeFor } from "../http/proxy_route.ts";

/** Where a managed identity's token comes from. */
export type ManagedIdentitySource =
  /** App Service, Container Apps, Functions: `secret` is `IDENTITY_HEADER` (never logged). */
  | { kind: "app_service"; endpoint: string; secret: string }
  /** Azure Arc-enabled server (HIMDS): the key file must lie in `tokensDir`. */
  | { kind: "arc"; endpoint: string; tokensDir: string }
  /** Azure VM Instance Metadata Service. */
  | { kind: "imds"; endpoint: string };

/** The IMDS token endpoint of every Azure VM. */
export const IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token";

/**
 * Test-only override of the IMDS origin (a loopback simulator); ignored unless it is an http URL
 * to 127.0.0.1 or localhost, so it can never send a production token request elsewhere.
 */
export const TEST_IMDS_VAR = "INGEST_TEST_IMDS_ENDPOINT";
/** Test-only override of the Azure Arc agent's Tokens folder. */
export const TEST_ARC_TOKENS_VAR = "INGEST_TEST_ARC_TOKENS_DIR";

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function loopbackHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" && ["127.0.0.1", "localhost"].includes(url.hostname);
  } catch {
    return false;
  }
}

/** The managed identity endpoint the environment offers (App Service, Arc, else IMDS). */
export function managedIdentitySource(
  env: Record<string, string | undefined>,
  os: string,
): ManagedIdentitySource {
  const endpoint = nonEmpty(env.IDENTITY_ENDPOINT);
  const header = nonEmpty(env.IDENTITY_HEADER);
  if (endpoint !== undefined && header !== undefined) {
    return { kind: "app_service", endpoint, secret: header };
  }
  if (endpoint !== undefined && nonEmpty(env.IMDS_ENDPOINT) !== undefined) {
    const programData = nonEmpty(env.ProgramData ?? env.PROGRAMDATA) ?? "C:\\ProgramData";
    const tokensDir = nonEmpty(env[TEST_ARC_TOKENS_VAR]) ??
      (os === "windows"
        ? `${programData}\\AzureConnectedMachineAgent\\Tokens`
        : "/var/opt/azcmagent/tokens");
    // msal-node's AzureArc.ts rewrites localhost, so IPv6 resolution cannot miss HIMDS.
    return { kind: "arc", endpoint: endpoint.replace("//localhost", "//127.0.0.1"), tokensDir };
  }
  const test = nonEmpty(env[TEST_IMDS_VAR]);
  if (test !== undefined && loopbackHttp(test)) {
    return { kind: "imds", endpoint: `${test.replace(/\/+$/, "")}/metadata/identity/oauth2/token` };
  }
  return { kind: "imds", endpoint: IMDS_TOKEN_URL };
}

/**
 * IMDS "isn't intended to be used behind a proxy" (§2 "Azure VMs (IMDS)"), and Deno's clients
 * apply the environment's proxy variables to every request, so the endpoint must be covered by
 * `NO_PROXY` when a proxy variable would catch it.
 */
export function checkNoProxy(
  source: ManagedIdentitySource,
  env: Record<string, string | undefined>,
) {
  const route = routeFor(source.endpoint, { env });
  if (route.via !== "proxy") return;
  const host = new URL(source.endpoint).hostname;
  throw new ConfigError(
    `Cannot use auth "managed_identity": ${route.proxySource} in the environment would send ` +
      `the token requests to ${host} through ${route.proxy}; add ${host} to NO_PROXY ` +
      "(the identity endpoint must never go through a proxy)",
  );
}
