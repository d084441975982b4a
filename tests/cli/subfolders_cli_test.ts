/**
 * `include_subfolders` through the CLI against the simulator seeded from a folder tree
 * (`--seed-dir` with subfolders): what `check`, the summary and `--json` show.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_SIM_FOLDER, filesFromDirectory } from "../../src/sim/sim_cli.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

/** A folder tree like a document library organised by month. */
async function seedTree(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-seedtree-" });
  await Deno.mkdir(join(dir, "2026", "11"), { recursive: true });
  await Deno.mkdir(join(dir, "2026", "12"), { recursive: true });
  await Deno.writeTextFile(join(dir, "2026", "11", "x.csv"), "november\n");
  await Deno.writeTextFile(join(dir, "2026", "12", "x.csv"), "december\n");
  await Deno.writeTextFile(join(dir, "readme.csv"), "top\n");
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("cli: a seeded folder tree is mirrored; check, summary and --json show relative paths", async () => {
  await using tree = await seedTree();
  const files = await filesFromDirectory(tree.dir, DEFAULT_SIM_FOLDER);
  await using ws = await simWorkspace({ files }, "include_subfolders = true");
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /folder: .*subfolders included, mirrored/);
  const run = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  const json = JSON.parse(run.stdout);
  assert.deepEqual([...json.downloaded].sort(), ["2026/11/x.csv", "2026/12/x.csv", "readme.csv"]);
  assert.equal(await Deno.readTextFile(join(ws.incoming, "2026", "11", "x.csv")), "november\n");
  assert.equal(await Deno.readTextFile(join(ws.incoming, "2026", "12", "x.csv")), "december\n");
});

Deno.test("cli: flatten shows each flattened name with its relative path; a collision exits 3", async () => {
  await using tree = await seedTree();
  await Deno.writeTextFile(join(tree.dir, "2026__12__x.csv"), "clash\n");
  const files = await filesFromDirectory(tree.dir, DEFAULT_SIM_FOLDER);
  await using ws = await simWorkspace(
    { files },
    'include_subfolders = true\nsubfolder_layout = "flatten"',
  );
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /subfolders included, flattened with "__"/);
  const run = await runMain(["trigger"], { cwd: ws.dir });
  assert.equal(run.code, 3, run.stdout + run.stderr);
  assert.match(run.stdout, /^ {2}2026__11__x\.csv \(2026\/11\/x\.csv\)$/m);
  assert.match(run.stdout, /Failed 1 file\(s\):/);
  assert.match(
    run.stdout,
    /"2026\/12\/x\.csv".*"2026__12__x\.csv"|"2026__12__x\.csv".*"2026\/12\/x\.csv"/,
  );
  assert.deepEqual(ws.incomingNames(), ["2026__11__x.csv", "2026__12__x.csv", "readme.csv"]);
});

Deno.test("cli: without include_subfolders, check says so and only the top files come", async () => {
  await using tree = await seedTree();
  const files = await filesFromDirectory(tree.dir, DEFAULT_SIM_FOLDER);
  await using ws = await simWorkspace({ files });
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(check.stdout, /subfolders not included/);
  const run = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).downloaded, ["readme.csv"]);
  assert.deepEqual(ws.incomingNames(), ["readme.csv"]);
});
