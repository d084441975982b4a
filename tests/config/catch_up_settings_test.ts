import assert from "node:assert/strict";
import { MINIMAL } from "./settings_files.ts";
import { join } from "node:path";
import { loadSettings } from "../../src/config/load.ts";
import { ConfigError } from "../../src/errors.ts";

async function load(text: string, env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ingest-config-" });
  try {
    await Deno.writeTextFile(join(dir, "settings.toml"), text);
    return (await loadSettings({ env, cwd: dir, execPath: "/nonexistent/bin/ingest" })).settings;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("max_catch_up_hours defaults to a week; initial_lookback_hours is unset", async () => {
  const settings = await load(MINIMAL);
  assert.equal(settings.max_catch_up_hours, 168);
  assert.equal(settings.initial_lookback_hours, undefined);
});

Deno.test("max_catch_up_hours and initial_lookback_hours come from the file and the environment", async () => {
  const fromFile = await load(MINIMAL + "max_catch_up_hours = 72\ninitial_lookback_hours = 720\n");
  assert.equal(fromFile.max_catch_up_hours, 72);
  assert.equal(fromFile.initial_lookback_hours, 720);
  const fromEnv = await load(MINIMAL, {
    INGEST_MAX_CATCH_UP_HOURS: "12.5",
    INGEST_INITIAL_LOOKBACK_HOURS: "48",
  });
  assert.equal(fromEnv.max_catch_up_hours, 12.5);
  assert.equal(fromEnv.initial_lookback_hours, 48);
});

Deno.test("a catch-up setting that is not positive is rejected naming the key, exit 2", async () => {
  const table: [string, Record<string, string>, RegExp][] = [
    [MINIMAL + "max_catch_up_hours = 0\n", {}, /"max_catch_up_hours"/],
    [MINIMAL + "initial_lookback_hours = -1\n", {}, /"initial_lookback_hours"/],
    [MINIMAL, { INGEST_MAX_CATCH_UP_HOURS: "a week" }, /INGEST_MAX_CATCH_UP_HOURS.*number/],
  ];
  for (const [text, env, pattern] of table) {
    await assert.rejects(load(text, env), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, pattern);
      return true;
    });
  }
});
