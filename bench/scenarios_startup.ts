/**
 * Cold start: `ingest --version` and a `run-once` that finds nothing new, against `deno run` of
 * an empty script with the same permissions. Each command runs once to fill Deno's module cache,
 * then N measured times; the median is reported.
 * @module
 */
import { startSimulator } from "../src/sim/simulator.ts";
import { type Measured, measure, median } from "./measure.ts";
import type { Row } from "./report.ts";
import {
  type BenchContext,
  fileName,
  FOLDER,
  LIBRARY_PATH,
  MINUTE,
  type Scenario,
  withTempDir,
} from "./scenario.ts";
import { expectOk, PERMISSIONS, runTool, toolWorkspace } from "./tool.ts";

async function medianOf(
  runs: number,
  once: () => Promise<Measured>,
): Promise<{ ms: number; rss: number | undefined }> {
  await once();
  const measured: Measured[] = [];
  for (let i = 0; i < runs; i++) measured.push(await once());
  return {
    ms: median(measured.map((m) => m.wallMs)),
    rss: median(measured.map((m) => m.peakRss ?? 0)) || undefined,
  };
}

const coldStart: Scenario = {
  name: "cold-start",
  description: "ingest --version and an idle run-once against bare deno run",
  async run(context: BenchContext): Promise<Row[]> {
    const runs = context.quick ? 5 : 15;
    const bare = await withTempDir("bench-bare-", async (dir) => {
      const script = `${dir}/empty.ts`;
      await Deno.writeTextFile(script, "\n");
      return await medianOf(runs, () => measure(Deno.execPath(), ["run", ...PERMISSIONS, script]));
    });
    context.log(`${this.name}: bare deno ${bare.ms.toFixed(0)} ms`);
    const version = await medianOf(runs, async () => {
      const run = await runTool(["--version"]);
      expectOk(run, "--version");
      return run;
    });
    const now = Date.now();
    const names = Array.from({ length: 10 }, (_, i) => fileName("seen", i));
    await using sim = await startSimulator({
      files: names.map((name) => ({
        path: `${LIBRARY_PATH}/${name}`,
        size: 1024,
        lastModified: new Date(now - 5 * MINUTE),
      })),
      ingested: names.map((name) => ({ name, at: new Date(now - MINUTE) })),
    });
    const workspace = await toolWorkspace(sim, FOLDER);
    try {
      const idleRun = await medianOf(runs, async () => {
        const run = await runTool(["run-once"], workspace.settings);
        expectOk(run, "run-once");
        return run;
      });
      const row = (scenario: string, m: { ms: number; rss: number | undefined }): Row => ({
        scenario,
        toolMs: m.ms,
        baselineMs: bare.ms,
        baselineLabel: "bare deno run",
        files: 0,
        bytes: 0,
        toolRss: m.rss,
        target: { kind: "time", max: 1.5 },
        note: `median of ${runs}; bare deno run peak RSS ${((bare.rss ?? 0) / 1e6).toFixed(0)} MB`,
      });
      return [
        row("cold start: ingest --version", version),
        row("cold start: run-once, nothing new", idleRun),
      ];
    } finally {
      await Deno.remove(workspace.dir, { recursive: true });
    }
  },
};

/** The start-up scenarios. */
export const startupScenarios: Scenario[] = [coldStart];
