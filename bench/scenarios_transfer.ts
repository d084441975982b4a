/**
 * Transfer scenarios: many small files at a given concurrency, and one large file whose peak
 * RSS must stay flat. The tool runs `ingest --json trigger --lookback 2h`; the baseline fetches
 * the same download URLs with curl at the same concurrency.
 * @module
 */
import { startSimulator } from "../src/sim/simulator.ts";
import type { Simulator } from "../src/sim/types.ts";
import { curlFetch, syncData } from "./baseline.ts";
import { measure, type Measured, median } from "./measure.ts";
import type { Row } from "./report.ts";
import {
  type BenchContext,
  fileName,
  FOLDER,
  KIB,
  LIBRARY_PATH,
  MIB,
  MINUTE,
  type Scenario,
  withTempDir,
} from "./scenario.ts";
import { listSimFolder } from "./sim_listing.ts";
import { expectOk, runTool, toolResult, toolWorkspace } from "./tool.ts";

interface Pair {
  tool: Measured;
  baseline: Measured;
  /** `sync --data` of the baseline's files, after curl. */
  flush: Measured;
  runMs: number | undefined;
}

/** One tool run and one curl run over every file of the folder, into fresh folders. */
async function transferOnce(sim: Simulator, concurrency: number, expected: number): Promise<Pair> {
  const listing = await listSimFolder(sim, FOLDER);
  const { baseline, flush } = await withTempDir("bench-curl-", async (dir) => {
    const transfers = listing.files.map((f, i) => ({ url: f.downloadUrl, output: `${dir}/${i}` }));
    const baseline = await curlFetch(transfers, { parallel: concurrency });
    return { baseline, flush: await syncData(transfers.map((t) => t.output)) };
  });
  const workspace = await toolWorkspace(sim, FOLDER, { download_concurrency: concurrency });
  const tool = await runTool(["--json", "trigger", "--lookback", "2h"], workspace.settings);
  expectOk(tool, "transfer");
  const result = toolResult(tool.stdout);
  if (result.downloaded?.length !== expected) {
    throw new Error(`Expected ${expected} downloads, got ${result.downloaded?.length}`);
  }
  return { tool, baseline, flush, runMs: result.duration_ms };
}

interface Medians {
  toolMs: number;
  baselineMs: number;
  syncedMs: number;
  toolCpuMs: number;
  baselineCpuMs: number;
  rss: number | undefined;
  runMs?: number;
}

async function repeated(
  sim: Simulator,
  concurrency: number,
  expected: number,
  runs: number,
): Promise<Medians> {
  const pairs: Pair[] = [];
  for (let i = 0; i < runs; i++) pairs.push(await transferOnce(sim, concurrency, expected));
  const runMs = pairs.flatMap((p) => p.runMs === undefined ? [] : [p.runMs]);
  return {
    toolMs: median(pairs.map((p) => p.tool.wallMs)),
    baselineMs: median(pairs.map((p) => p.baseline.wallMs)),
    syncedMs: median(pairs.map((p) => p.baseline.wallMs + p.flush.wallMs)),
    toolCpuMs: median(pairs.map((p) => p.tool.cpuMs ?? 0)),
    baselineCpuMs: median(pairs.map((p) => p.baseline.cpuMs ?? 0)),
    rss: Math.max(...pairs.map((p) => p.tool.peakRss ?? 0)) || undefined,
    ...(runMs.length > 0 ? { runMs: median(runMs) } : {}),
  };
}

function smallFiles(concurrency: number): Scenario {
  return {
    name: `small-c${concurrency}`,
    description: `2,000 × 64 KiB files, download_concurrency = ${concurrency}`,
    async run(context: BenchContext): Promise<Row[]> {
      const count = context.quick ? 200 : 2000;
      const size = 64 * KIB;
      const now = Date.now();
      await using sim = await startSimulator({
        files: Array.from({ length: count }, (_, i) => ({
          path: `${LIBRARY_PATH}/${fileName("small", i)}`,
          size,
          lastModified: new Date(now - MINUTE - (i % 50) * MINUTE),
        })),
      });
      context.log(`${this.name}: ${count} files`);
      const m = await repeated(sim, concurrency, count, context.runs);
      return [{
        scenario: `${count} × 64 KiB, concurrency ${concurrency}`,
        toolMs: m.toolMs,
        baselineMs: m.baselineMs,
        baselineSyncedMs: m.syncedMs,
        baselineLabel: `curl --parallel-max ${concurrency}`,
        files: count,
        bytes: count * size,
        toolRss: m.rss,
        toolCpuMs: m.toolCpuMs,
        baselineCpuMs: m.baselineCpuMs,
        runMs: m.runMs,
        target: { kind: "throughput", min: 0.7 },
      }];
    },
  };
}

/** Peak RSS of a `deno run` that only waits, with the tool's permissions. */
export async function idleDenoRss(): Promise<number | undefined> {
  return await withTempDir("bench-idle-", async (dir) => {
    const script = `${dir}/idle.ts`;
    await Deno.writeTextFile(script, "await new Promise((r) => setTimeout(r, 300));\n");
    const run = await measure(Deno.execPath(), ["run", script]);
    return run.peakRss;
  });
}

const largeFile: Scenario = {
  name: "large-1gib",
  description: "one 1 GiB file: throughput and flat peak RSS",
  async run(context: BenchContext): Promise<Row[]> {
    const size = context.quick ? 128 * MIB : 1024 * MIB;
    context.log(`${this.name}: seeding and hashing ${size / MIB} MiB`);
    await using sim = await startSimulator({
      files: [{ path: `${LIBRARY_PATH}/large.bin`, size, lastModified: new Date() }],
    });
    const m = await repeated(sim, 1, 1, context.quick ? 1 : Math.min(context.runs, 2));
    const idle = await idleDenoRss();
    return [{
      scenario: `1 × ${size / MIB} MiB`,
      toolMs: m.toolMs,
      baselineMs: m.baselineMs,
      baselineSyncedMs: m.syncedMs,
      baselineLabel: "curl",
      files: 1,
      bytes: size,
      toolRss: m.rss,
      toolCpuMs: m.toolCpuMs,
      baselineCpuMs: m.baselineCpuMs,
      runMs: m.runMs,
      target: { kind: "throughput", min: 0.7 },
      maxRss: 150 * 1_000_000,
      note: `idle deno process: ${((idle ?? 0) / 1_000_000).toFixed(0)} MB peak RSS`,
    }];
  },
};

/** The transfer scenarios in table order. */
export const transferScenarios: Scenario[] = [smallFiles(4), smallFiles(8), largeFile];
