/** Plain-fetch helpers for the simulator tests. */
import type { Simulator } from "../../src/sim/types.ts";

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

/** POSTs a token request form to the simulator's login server. */
export function requestToken(
  sim: Simulator,
  fields: Record<string, string>,
  options: { tenant?: string; headers?: HeadersInit } = {},
): Promise<Response> {
  return fetch(`${sim.authorityHost}/${options.tenant ?? sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: options.headers,
    body: new URLSearchParams(fields),
  });
}

/** A valid access token obtained with the client secret. */
export async function getToken(sim: Simulator): Promise<string> {
  const response = await requestToken(sim, {
    client_id: sim.clientId,
    client_secret: sim.clientSecret,
    scope: GRAPH_SCOPE,
    grant_type: "client_credentials",
  });
  const body = await response.json();
  if (response.status !== 200) throw new Error(`token request failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** GET on Graph (`path` relative to graph_base_url, or absolute), with the bearer token. */
export function graphGet(
  sim: Simulator,
  path: string,
  token: string | undefined,
  init: RequestInit = {},
): Promise<Response> {
  const url = path.startsWith("http") ? path : `${sim.graphBaseUrl}${path}`;
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
  return fetch(url, { ...init, headers });
}

/** GET on Graph that must answer 200 JSON. */
export async function graphJson(
  sim: Simulator,
  path: string,
  token: string,
): Promise<Record<string, unknown> & { value?: Record<string, unknown>[] }> {
  const response = await graphGet(sim, path, token);
  const body = await response.json();
  if (response.status !== 200) {
    throw new Error(`GET ${path} → ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

/** The id of the default library. */
export async function defaultDriveId(sim: Simulator, token: string): Promise<string> {
  const site = await graphJson(sim, "/sites/contoso.sharepoint.com:/sites/Finance", token);
  const drive = await graphJson(sim, `/sites/${site.id}/drive`, token);
  return drive.id as string;
}

/** Reads a whole body, or returns the error reading it raised. */
export async function readBody(response: Response): Promise<Uint8Array | Error> {
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return error as Error;
  }
}

/** The status of `response`, after discarding its body. */
export async function statusOf(response: Promise<Response> | Response): Promise<number> {
  const settled = await response;
  await settled.body?.cancel();
  return settled.status;
}
