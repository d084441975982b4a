/**
 * What to do about the errors `ingest check` meets, keyed on AADSTS and Graph error codes
 * (see docs/troubleshooting.md).
 * @module
 */
import type { AuthError, HttpError } from "../../errors.ts";

const AADSTS_HINTS: Record<number, string> = {
  7000215:
    "the client secret is wrong: use the secret's Value (not its ID) from Entra ID > App registrations > Certificates & secrets",
  7000222: "the client secret has expired: create a new one and update client_secret",
  700016: "client_id is not an app registered in this tenant: check client_id and tenant_id",
  700011: "client_id is not an app registered in this tenant: check client_id and tenant_id",
  90002: "tenant_id is not a known tenant: use the Directory (tenant) ID or the tenant's domain",
  700027:
    "the certificate does not match the one uploaded to the app registration: upload the .cer of this key",
  9001023: "tenant_id must be your tenant, not common/consumers",
  70011: "the scope is wrong: graph_base_url and authority_host must belong to the same cloud",
};

/** A next step for a token error. */
export function authHint(error: AuthError): string {
  if (error.aadsts !== undefined && AADSTS_HINTS[error.aadsts]) return AADSTS_HINTS[error.aadsts]!;
  return "check tenant_id, client_id and the credential (docs/entra-app-registration.md)";
}

/** A next step for a Graph error while resolving or listing the folder. */
export function graphHint(error: HttpError): string {
  if (error.status === 403 || error.code === "accessDenied") {
    return "grant the app Sites.Selected (and read access to this site) or Sites.Read.All, with admin consent";
  }
  if (error.status === 404 || error.code === "itemNotFound") {
    return "check sharepoint_site_url and sharepoint_folder: the folder starts with the library's URL segment " +
      '(e.g. "/Shared Documents/…"), not its display name ("Documents")';
  }
  if (error.status === 423) {
    return "an administrator locked or blocked the site: ask a SharePoint administrator to unlock it";
  }
  if (error.status === 401) {
    return "the token was refused: check the app's permissions and admin consent";
  }
  return error.code
    ? `see docs/troubleshooting.md for the Graph error code "${error.code}"`
    : "see docs/troubleshooting.md (Graph errors)";
}
