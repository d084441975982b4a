/**
 * The Graph client's settings for a simulator: the one place contract tests build them.
 * @module
 */
import type { GraphClientSettings } from "../../src/graph/graph_client.ts";
import type { Simulator } from "../../src/sim/types.ts";

/** Client settings pointing at `sim`'s folder `/Shared Documents/Reports`, secret credential. */
export function clientSettingsFor(
  sim: Simulator,
  overrides: Partial<GraphClientSettings> = {},
): GraphClientSettings {
  return {
    sharepoint_site_url: sim.siteUrl,
    sharepoint_folder: "/Shared Documents/Reports",
    tenant_id: sim.tenantId,
    client_id: sim.clientId,
    client_secret: sim.clientSecret,
    client_certificate_path: undefined,
    graph_base_url: sim.graphBaseUrl,
    authority_host: sim.authorityHost,
    request_timeout_seconds: 2,
    max_throttle_wait_seconds: 5,
    ...overrides,
  };
}
