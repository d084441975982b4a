/**
 * Settings files for config tests: the smallest valid `[scheduler]` section and a temporary
 * folder holding a `settings.toml`.
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LoadOptions } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";

/** Every required key, nothing else. */
export const MINIMAL = `[scheduler]
sharepoint_site_url = "https://contoso.sharepoint.com/sites/Finance"
sharepoint_folder = "/Shared Documents/Reports"
ingestion_dir = "in"
client_id = "app"
client_secret = "s3cret-value"
tenant_id = "tenant"
db_service_url = "http://127.0.0.1:9/db"
`;

/** A temp folder with `settings.toml` holding `text`; returns load options rooted there. */
export async function withFile(
  text: string,
  extra: Partial<LoadOptions> = {},
): Promise<LoadOptions & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-config-" });
  await Deno.writeTextFile(join(dir, "settings.toml"), text);
  return { dir, env: {}, cwd: dir, execPath: "/nonexistent/bin/ingest", ...extra };
}

/** The message of the `ConfigError` (exit 2) that `load` raises for `text`; fails otherwise. */
export async function loadError(
  text: string,
  load: (options: LoadOptions) => Promise<unknown>,
  extra: Partial<LoadOptions> = {},
): Promise<string> {
  const options = await withFile(text, extra);
  try {
    await load(options);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.equal(error.exitCode, 2);
    return error.message;
  } finally {
    await Deno.remove(options.dir, { recursive: true });
  }
  assert.fail("settings loaded but an error was expected");
}
