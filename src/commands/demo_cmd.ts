/**
 * `ingest demo`: the README's first command. Starts the simulator with sample files, runs one
 * sync into `./demo/incoming`, lets a pretend file watcher record some files as ingested, adds a
 * new file and a back-dated one (synced in with dates two years old, real-sharepoint-quirks.md
 * §1), then runs again to show that nothing is downloaded twice and the back-dated arrival is
 * placed. Needs no settings file.
 * @module
 */
import { join, resolve } from "node:path";
import { loadSettings } from "../config/load.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { buildRuntime } from "../runtime.ts";
import type { RunOutcome } from "../schedule/run_outcome.ts";
import { DEFAULT_SIM_FOLDER, defaultDemoFiles } from "../sim/sim_cli.ts";
import { startSimulator } from "../sim/simulator.ts";
import type { Simulator } from "../sim/types.ts";
import type { CliContext } from "./context.ts";
import { summaryLines } from "./summary.ts";

/** The demo's back-dated arrival: synced in with dates two years old. */
const BACK_DATED = "synced_from_laptop.csv";

/** Marks a folder the demo created, so a later demo may empty it (and only such a folder). */
const MARKER = ".ingest-demo";

async function prepareDir(dir: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      join(dir, MARKER),
      "created by `ingest demo`; the demo empties this folder\n",
    );
    return;
  }
  const names = entries.map((e) => e.name);
  if (names.length > 0 && !names.includes(MARKER)) {
    throw new UsageError(
      `Cannot use ${dir} for the demo: it holds files the demo did not create; pass --dir`,
    );
  }
  for (const entry of entries) {
    if (entry.name !== MARKER && entry.isFile) await Deno.remove(join(dir, entry.name));
  }
}

async function demoSettings(sim: Simulator, dir: string, ctx: CliContext) {
  const configDir = await Deno.makeTempDir({ prefix: "ingest-demo-" });
  const path = join(configDir, "settings.toml");
  const snippet = sim.settingsSnippet({ folder: DEFAULT_SIM_FOLDER, ingestionDir: dir }).trimEnd();
  await Deno.writeTextFile(
    path,
    `${snippet}\nlog_level = "${
      (ctx.flags.logLevel ?? "warning").toUpperCase()
    }"\nretry_delay_seconds = 1\n` +
      `staging_dir = ${JSON.stringify(join(dir, "..", ".incoming.ingest-staging"))}\n`,
  );
  try {
    return (await loadSettings({
      configPath: path,
      env: {},
      cwd: ctx.deps.cwd,
      execPath: ctx.deps.execPath,
    }))
      .settings;
  } finally {
    await Deno.remove(configDir, { recursive: true });
  }
}

function printOutcome(ctx: CliContext, title: string, outcome: RunOutcome, dir: string): number {
  ctx.print(`\n== ${title}`);
  if (outcome.status !== "completed") {
    ctx.print(
      `Run ${outcome.status}: ${"error" in outcome ? String(outcome.error) : outcome.reason}`,
    );
    return outcome.exitCode;
  }
  for (const line of summaryLines(outcome.result, dir)) ctx.print(line);
  return outcome.exitCode;
}

/** Runs the demo; exit code of the worse of the two runs. */
export async function demoCommand(ctx: CliContext, flags: { dir: string }): Promise<number> {
  const dir = resolve(ctx.deps.cwd, flags.dir);
  await prepareDir(dir);
  await using sim = await startSimulator({
    files: defaultDemoFiles(new Date(ctx.deps.clock.now())),
  });
  const settings = await demoSettings(sim, dir, ctx);
  await ctx.deps.setupLogging({
    level: settings.log_level,
    format: settings.log_format,
    write: ctx.deps.stderr,
    isTty: ctx.deps.isTty,
  });
  ctx.print(
    `Simulated SharePoint: ${sim.siteUrl}${DEFAULT_SIM_FOLDER} (Microsoft Graph at ${sim.graphBaseUrl})`,
  );
  using runtime = buildRuntime(settings, ctx.deps, "trigger");
  const { scheduler } = runtime;

  const first = await scheduler.trigger({});
  let code = printOutcome(ctx, "Run 1: first sync", first, dir);
  if (first.status !== "completed") return code;

  const placed = first.result.downloaded;
  const consumed = placed.filter((_, i) => i % 2 === 0);
  // Recorded a second ago: the DB window of the next run is [since, until), and "now" could
  // fall on its very end.
  const recordedAt = new Date(ctx.deps.clock.now() - 1000);
  for (const name of consumed) {
    sim.markIngested(name, recordedAt);
    // A file watcher takes what it ingested out of the folder.
    await Deno.remove(join(dir, name)).catch(() => {});
  }
  sim.addFile({
    path: "Reports/late_arrival.csv",
    content: new TextEncoder().encode("id,value\n1,42\n"),
  });
  const twoYearsAgo = new Date(ctx.deps.clock.now() - 730 * 86_400_000);
  sim.addFile({
    path: `Reports/${BACK_DATED}`,
    content: new TextEncoder().encode("id,value\n1,2024\n"),
    lastModified: twoYearsAgo,
    created: twoYearsAgo,
  });
  ctx.print(
    `\nMeanwhile the file watcher ingested ${consumed.length} of the ${placed.length} files (recorded in the ` +
      `DB service, taken out of the folder), the other ${
        placed.length - consumed.length
      } still wait in ${dir}, a new file "late_arrival.csv" appeared in SharePoint, ` +
      `and "${BACK_DATED}" was synced in keeping its dates of ${twoYearsAgo.getUTCFullYear()} ` +
      "(outside any time window: it is placed because delta reports it as arrived).",
  );

  const second = await scheduler.trigger({});
  code = Math.max(code, printOutcome(ctx, "Run 2: nothing is downloaded twice", second, dir));
  if (second.status === "completed") {
    const r = second.result;
    ctx.print(
      r.listing === "children"
        ? `The ${r.skipped_ingested} ingested and ${r.skipped_pending} waiting file(s) were listed ` +
          "again and skipped."
        : `Run 2 listed only what changed since run 1 (${r.listed} item(s), through the saved ` +
          "delta link): the files of run 1 were not listed again, so none could be downloaded " +
          `twice. \`${ctx.command("trigger --full")}\` would list them all and skip them as ` +
          "already ingested or waiting.",
    );
  }
  ctx.print(
    `\nFiles are in ${dir}. Settings for a real tenant: settings.toml, then \`${
      ctx.command("check")
    }\`.`,
  );
  return code === ExitCode.Ok ? ExitCode.Ok : code;
}
