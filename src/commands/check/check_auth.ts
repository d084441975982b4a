/**
 * The credential lines of `ingest check`: which `auth` method is used and where each of its
 * values came from; for certificates the subject, thumbprint and expiry (⚠ under 30 days); and
 * after the token, the identity it names (app and object id from its claims, never the token).
 * @module
 */
import type { Settings } from "../../config/settings.ts";
import { AuthError, ConfigError, describeError } from "../../errors.ts";
import { CERTIFICATE_WARNING_DAYS } from "../../graph/auth.ts";
import { authMethodOf } from "../../graph/credential.ts";
import type { GraphSharePointClient } from "../../graph/graph_client.ts";
import type { CheckLine } from "./check_line.ts";

const DAY_MS = 86_400_000;

const CERTIFICATE_HINT =
  "client_certificate_path must be a PEM (certificate + key) or a .pfx/.p12 file; a " +
  "password-protected one needs client_certificate_password_file with the right password";

const METHOD_NAMES: Record<string, string> = {
  client_secret: "client secret",
  certificate: "certificate",
  workload_identity: "workload identity (federated token file)",
  managed_identity: "managed identity",
};

/** "client_id from env AZURE_CLIENT_ID, tenant_id from settings file …". */
function originsText(settings: Settings): string {
  const origins = settings.auth_origins ?? {};
  return Object.entries(origins)
    .filter(([key]) => key !== "auth")
    .map(([key, from]) => `${key} from ${from}`)
    .join(", ");
}

/** The `auth` line and, for certificates, the certificate line. */
export async function credentialLines(
  settings: Settings,
  client: GraphSharePointClient,
  nowMs: number,
): Promise<CheckLine[]> {
  const method = authMethodOf(settings);
  const how = settings.auth_origins?.auth ?? "inferred from the keys present";
  const origins = originsText(settings);
  const lines: CheckLine[] = [{
    ok: true,
    name: "auth",
    detail: `${method} (${how})${origins ? `; ${origins}` : ""}`,
  }];
  if (method !== "certificate") return lines;
  try {
    const certificate = await client.tokens.loadCertificate();
    if (!certificate) return lines;
    const facts = [
      certificate.subject ?? "(subject unreadable)",
      `thumbprint ${certificate.thumbprintSha1 ?? certificate.thumbprintS256}`,
    ];
    const notAfter = certificate.notAfter;
    if (!notAfter) {
      lines.push({ ok: true, name: "certificate", detail: facts.join(", ") });
      return lines;
    }
    const days = Math.floor((notAfter.getTime() - nowMs) / DAY_MS);
    const expiry = `expires ${notAfter.toISOString()}`;
    if (days < 0) {
      lines.push({
        ok: false,
        name: "certificate",
        detail: `${facts.join(", ")}, expired ${notAfter.toISOString()}`,
        hint: "create a new certificate, upload its public part to the app registration " +
          "(Certificates & secrets) and point client_certificate_path at it",
      });
    } else if (days < CERTIFICATE_WARNING_DAYS) {
      lines.push({
        ok: true,
        warning: true,
        name: "certificate",
        detail: `${facts.join(", ")}, ${expiry} (in ${days} day(s))`,
        hint: "renew it now: upload the new certificate to the app registration, then update " +
          "client_certificate_path (both can be valid at once)",
      });
    } else {
      lines.push({
        ok: true,
        name: "certificate",
        detail: `${facts.join(", ")}, ${expiry} (in ${days} days)`,
      });
    }
  } catch (error) {
    lines.push({
      ok: false,
      name: "certificate",
      detail: describeError(error).split("\n")[0]!,
      hint: CERTIFICATE_HINT,
    });
  }
  return lines;
}

/** The token line's detail: the method and the identity from the token's claims. */
export function tokenDetail(settings: Settings, client: GraphSharePointClient): string {
  const method = authMethodOf(settings);
  const identity = client.tokens.identity();
  const appId = identity.appId ?? settings.client_id ?? "(no appid claim)";
  const tenant = identity.tenantId ?? settings.tenant_id;
  const parts = [`app ${appId}`];
  if (identity.objectId) parts.push(`object ${identity.objectId}`);
  const who = `${parts.join(", ")}${tenant ? ` in tenant ${tenant}` : ""}`;
  const via = client.tokens.sourceDescription ?? METHOD_NAMES[method] ?? method;
  return `${who} (${via})`;
}

/** A next step for a failed token request of the identity flows; undefined: the usual hints. */
export function identityTokenHint(settings: Settings, error: unknown): string | undefined {
  const method = authMethodOf(settings);
  if (
    method === "certificate" && error instanceof AuthError && error.cause instanceof ConfigError
  ) {
    return CERTIFICATE_HINT;
  }
  if (method === "managed_identity") {
    return "check that this host has a managed identity and that it was granted Graph " +
      "application roles (docs/entra-app-registration.md, managed identity)";
  }
  if (method === "workload_identity") {
    const aadsts = error instanceof AuthError ? error.aadsts : undefined;
    if (aadsts === 70021 || aadsts === 700024) {
      return "compare the app registration's federated credential with the token: issuer = the " +
        "cluster's service account issuer, subject system:serviceaccount:<namespace>:<account>, " +
        "audience api://AzureADTokenExchange (docs/entra-app-registration.md, workload identity)";
    }
    if (aadsts !== undefined) return undefined;
    return "check the pod's service account annotation and the federated_token_file " +
      "(docs/entra-app-registration.md, workload identity)";
  }
  return undefined;
}
