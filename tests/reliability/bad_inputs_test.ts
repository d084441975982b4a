/**
 * Bad inputs (the table in `bad_input_cases.ts`): each gives its documented exit code and a clear
 * one-line message without a stack trace, writes nothing outside `ingestion_dir` and the staging
 * folder (a sentinel tree around them stays untouched), and never prints a secret — the client
 * secret, the DB token, an access token or a download URL's `tempauth` — even at DEBUG level.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";
import { argsOf, BAD_INPUTS, type BadInput, type SettingsLines } from "./bad_input_cases.ts";
import { assertNoStack, DROP, guarded, type IngestProcess, namesIn } from "./harness.ts";

const DB_TOKEN = "db-token-7Hq2-never-print";
const PARALLEL = 3;

/** Every file under `dir` (relative path → size and mtime), skipping `skip` subfolders. */
async function snapshot(dir: string, skip: string[], prefix = ""): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for await (const entry of Deno.readDir(dir)) {
    const relative = `${prefix}${entry.name}`;
    if (skip.includes(relative)) continue;
    const info = await Deno.lstat(`${dir}/${entry.name}`);
    result.set(relative, `${entry.isDirectory ? "dir" : info.size} ${info.mtime?.getTime()}`);
    if (entry.isDirectory) {
      for (const [k, v] of await snapshot(`${dir}/${entry.name}`, skip, `${relative}/`)) {
        result.set(k, v);
      }
    }
  }
  return result;
}

function settingsLines(sim: Simulator, root: string): SettingsLines {
  const lines: SettingsLines = new Map();
  const snippet = sim.settingsSnippet({ folder: "/Shared Documents/Drop", ingestionDir: "x" });
  for (const line of snippet.split("\n")) {
    const match = /^(\w+) = (.*)$/.exec(line);
    if (match) lines.set(match[1]!, match[2]!);
  }
  lines.set("ingestion_dir", JSON.stringify(`${root}/incoming`));
  lines.set("staging_dir", JSON.stringify(`${root}/staging`));
  lines.set("log_level", '"DEBUG"');
  lines.set("log_format", '"json"');
  lines.set("retry_delay_seconds", "0.05");
  return lines;
}

function settingsText(lines: SettingsLines): string {
  return `[scheduler]\n${[...lines].map(([k, v]) => `${k} = ${v}`).join("\n")}\n`;
}

/** Secrets the run must not print: configured ones, tokens and tempauth values it received. */
function secretsOf(sim: Simulator, c: BadInput): string[] {
  const secrets = [sim.clientSecret, DB_TOKEN, ...(c.secrets ?? [])];
  for (const entry of sim.requestLog) {
    const bearer = /^Bearer (.+)$/.exec(entry.headers.authorization ?? "")?.[1];
    if (bearer) secrets.push(bearer);
    const tempauth = /tempauth=([^&]+)/.exec(entry.url)?.[1];
    if (tempauth) secrets.push(tempauth);
  }
  return secrets;
}

function checkMessage(c: BadInput, run: IngestProcess): void {
  const output = run.stdout + run.stderr;
  assertNoStack(output, "output");
  assert.ok(output.length < 64 * 1024, `${output.length} characters of output`);
  if (c.code === 3) {
    assert.match(output, c.message);
    return;
  }
  // stderr: JSON log lines and exactly one message line (commander may add its suggestion).
  const other = run.stderr.split("\n").filter((line) =>
    line !== "" && !line.startsWith("{") && !/^\(Did you mean .+\?\)$/.test(line)
  );
  assert.equal(other.length, 1, `expected one message line on stderr:\n${other.join("\n")}`);
  assert.match(other[0]!, /^(ingest|error): \S/);
  assert.match(other[0]!, c.message);
}

async function runCase(c: BadInput): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "ingest-bad-" });
  await using sim = await startSimulator({
    dbToken: DB_TOKEN,
    files: ["good.csv", "other_1.csv", "other_2.csv"].map((name) => ({
      path: `${DROP}/${name}`,
      size: 4096,
      lastModified: new Date(Date.now() - 60_000),
    })),
  });
  try {
    for (const dir of ["cwd", "sentinel/deep", "incoming"]) {
      await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    }
    await Deno.writeTextFile(`${root}/sentinel/keep.txt`, "sentinel\n");
    await Deno.writeTextFile(`${root}/sentinel/deep/keep.csv`, "a,b\n1,2\n");
    const lines = settingsLines(sim, root);
    c.settings?.(lines);
    const settings = `${root}/settings.toml`;
    await Deno.writeTextFile(settings, c.settingsText ?? settingsText(lines));
    await c.setup?.(sim);
    sim.clearRequestLog();
    const before = await snapshot(root, ["incoming", "staging"]);

    const run = await guarded(
      60_000,
      (guard) => guard.run(argsOf(c, settings), { cwd: `${root}/cwd`, env: c.env ?? {} }),
    );
    const { code } = await run.status;
    assert.equal(code, c.code, `exit code\n${run.stderr.slice(-3000)}`);
    checkMessage(c, run);
    const output = run.stdout + run.stderr;
    for (const secret of secretsOf(sim, c)) {
      assert.ok(!output.includes(secret), `a secret was printed: ${secret.slice(0, 12)}…`);
    }
    assert.deepEqual(await snapshot(root, ["incoming", "staging"]), before, "files outside");
    const placed = await namesIn(`${root}/incoming`);
    assert.deepEqual(placed, c.placed ?? (c.code === 3 ? ["good.csv"] : []), "ingestion_dir");
    if (c.code !== 3) {
      assert.equal(sim.requestLog.filter((e) => e.server === "download").length, 0, "downloads");
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test(`bad inputs: ${BAD_INPUTS.length} cases give their exit code and message, write nothing outside, print no secret`, async (t) => {
  assert.ok(BAD_INPUTS.length >= 30);
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < BAD_INPUTS.length) {
      const c = BAD_INPUTS[next++]!;
      try {
        await runCase(c);
      } catch (error) {
        failures.push(`${c.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  await t.step("every case", () => {
    assert.deepEqual(failures, []);
  });
});
