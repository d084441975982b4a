import assert from "node:assert/strict";
import { join } from "node:path";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

const HOUR = 3_600_000;

/** The job's state file under the workspace (in the default staging folder). */
function stateFile(dir: string): string {
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isDirectory || !entry.name.endsWith(".ingest-staging")) continue;
    return join(dir, entry.name, "ingest.state.json");
  }
  throw new Error(`no staging folder in ${dir}`);
}

Deno.test("ingest check, trigger and --json show the window, the uncovered gap and the command that covers it", async () => {
  await using ws = await simWorkspace({}, "max_catch_up_hours = 24");
  const first = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).window.reason, "first_run");

  const fresh = await runMain(["check"], { cwd: ws.dir });
  assert.equal(fresh.code, 0, fresh.stdout);
  assert.match(
    fresh.stdout,
    /^✓ window: last successful run covered up to \S+ \(\d+ min ago\); next run: .* default window of 2 h$/m,
  );

  // Pretend the last success was 100 hours ago: more than the 24 h cap.
  const path = stateFile(ws.dir);
  const state = JSON.parse(await Deno.readTextFile(path));
  const lastUntil = new Date(Date.now() - 100 * HOUR);
  state.last_success.until = lastUntil.toISOString();
  await Deno.writeTextFile(path, JSON.stringify(state));
  const gapStart = new Date(lastUntil.getTime() - HOUR).toISOString();

  const before = await runMain(["check"], { cwd: ws.dir });
  assert.equal(before.code, 1);
  assert.match(
    before.stdout,
    new RegExp(
      `^✗ window: not covered by any run \\(max_catch_up_hours = 24\\): ${gapStart} \\.\\. `,
      "m",
    ),
  );
  assert.match(
    before.stdout,
    new RegExp(
      `→ run \`ingest --config \\S+settings\\.toml trigger --since ${gapStart}\` to cover it`,
    ),
  );

  const capped = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(capped.code, 0, capped.stderr);
  const window = JSON.parse(capped.stdout).window;
  assert.equal(window.reason, "capped");
  assert.equal(window.uncovered.since, gapStart);
  assert.equal(
    window.uncovered.command,
    `ingest --config ${ws.settingsPath} trigger --since ${gapStart}`,
  );
  assert.match(
    capped.stderr,
    /Cannot catch up fully after a gap of \W*4 d 4 h\W*: max_catch_up_hours leaves/,
  );

  const still = await runMain(["check"], { cwd: ws.dir });
  assert.equal(still.code, 1);
  assert.match(
    still.stdout,
    new RegExp(`^✗ window: not covered by any run .*${gapStart} \\.\\. `, "m"),
  );

  const cover = await runMain(["trigger", "--since", gapStart], { cwd: ws.dir });
  assert.equal(cover.code, 0, cover.stderr);
  assert.match(cover.stdout, /^Window: explicit window of 4 d 5 h \(--since\/--lookback\)$/m);
  const after = await runMain(["check"], { cwd: ws.dir });
  assert.equal(after.code, 0, after.stdout);
  assert.match(after.stdout, /^✓ window: /m);
});
