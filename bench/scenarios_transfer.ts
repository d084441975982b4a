/**
 * Transfer scenarios: many small files at a given concurrency, and one large file whose peak
 * RSS must stay flat. The tool runs `ingest --json trigger --lookback 2h`; the baseline fetches
 * the same download URLs with curl at the same concurrency.
 * @module
 */
import { startSimulator } from "../src/sim/simulator.ts";
import type { Simulator } from "../src/sim/types.ts";
import { bareDenoFetch, curlFetch, syncData, syncFs } from "./baseline.ts";
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
  smallFileSpecs,
  withTempDir,
} from "./scenario.ts";
import { listSimFolder } from "./sim_listing.ts";
import { expectOk, runTool, toolResult, toolWorkspace } from "./tool.ts";

interface Pair {
  tool: Measured;
  baseline: Measured;
  /** `sync --data` of the baseline's files, after curl. */
  flush: Measured;
  /** curl again into a fresh folder, then `sync -f` of the file system (curl + syncfs). */
  syncfsBaseline: Measured;
  syncfs: Measured;
  /** The bare Deno client (fetch → write → fdatasync → link), small-file scenarios only. */
  bare?: Measured;
  runMs: number | undefined;
}

/** Extra answer time of every simulator request during the measured transfers. */
interface TransferOptions {
  delayMs?: number;
  /** Also run the bare Deno client over the same files. */
  bare?: boolean;
}

/**
 * One tool run and two curl runs (one made durable with `sync --data` of its files, one with
 * `sync -f`) over every file of the folder, into fresh folders.
 */
async function transferOnce(
  sim: Simulator,
  concurrency: number,
  expected: number,
  options: TransferOptions = {},
): Promise<Pair> {
  const listing = await listSimFolder(sim, FOLDER);
  if (options.delayMs) {
    sim.addFault({ match: {}, fault: { kind: "delay", ms: options.delayMs }, times: Infinity });
  }
  try {
    return await measureTransfer(sim, listing, concurrency, expected, options.bare ?? false);
  } finally {
    sim.clearFaults();
  }
}

async function measureTransfer(
  sim: Simulator,
  listing: Awaited<ReturnType<typeof listSimFolder>>,
  concurrency: number,
  expected: number,
  withBare: boolean,
): Promise<Pair> {
  const curl = (dir: string) => {
    const transfers = listing.files.map((f, i) => ({ url: f.downloadUrl, output: `${dir}/${i}` }));
    return { transfers, run: curlFetch(transfers, { parallel: concurrency }) };
  };
  const { baseline: syncfsBaseline, syncfs } = await withTempDir("bench-curl-", async (dir) => {
    const baseline = await curl(dir).run;
    return { baseline, syncfs: await syncFs(dir) };
  });
  const { baseline, flush } = await withTempDir("bench-curl-", async (dir) => {
    const { transfers, run } = curl(dir);
    const baseline = await run;
    return { baseline, flush: await syncData(transfers.map((t) => t.output)) };
  });
  const bare = withBare
    ? await withTempDir(
      "bench-bare-",
      (dir) => bareDenoFetch(listing.files.map((f) => f.downloadUrl), dir, concurrency),
    )
    : undefined;
  const workspace = await toolWorkspace(sim, FOLDER, { download_concurrency: concurrency });
  const tool = await runTool(["--json", "trigger", "--lookback", "2h"], workspace.settings);
  expectOk(tool, "transfer");
  const result = toolResult(tool.stdout);
  if (result.downloaded?.length !== expected) {
    throw new Error(`Expected ${expected} downloads, got ${result.downloaded?.length}`);
  }
  return {
    tool,
    baseline,
    flush,
    syncfsBaseline,
    syncfs,
    ...(bare === undefined ? {} : { bare }),
    runMs: result.duration_ms,
  };
}

interface Medians {
  toolMs: number;
  baselineMs: number;
  syncedMs: number;
  syncfsMs: number;
  toolCpuMs: number;
  baselineCpuMs: number;
  rss: number | undefined;
  runMs?: number;
  bareMs?: number;
  bareCpuMs?: number;
}

async function repeated(
  sim: Simulator,
  concurrency: number,
  expected: number,
  runs: number,
  options: TransferOptions = {},
): Promise<Medians> {
  const pairs: Pair[] = [];
  for (let i = 0; i < runs; i++) {
    pairs.push(await transferOnce(sim, concurrency, expected, options));
  }
  const runMs = pairs.flatMap((p) => p.runMs === undefined ? [] : [p.runMs]);
  const bare = pairs.flatMap((p) => p.bare === undefined ? [] : [p.bare]);
  return {
    toolMs: median(pairs.map((p) => p.tool.wallMs)),
    baselineMs: median(pairs.map((p) => p.baseline.wallMs)),
    syncedMs: median(pairs.map((p) => p.baseline.wallMs + p.flush.wallMs)),
    syncfsMs: median(pairs.map((p) => p.syncfsBaseline.wallMs + p.syncfs.wallMs)),
    toolCpuMs: median(pairs.map((p) => p.tool.cpuMs ?? 0)),
    baselineCpuMs: median(pairs.map((p) => p.baseline.cpuMs ?? 0)),
    rss: Math.max(...pairs.map((p) => p.tool.peakRss ?? 0)) || undefined,
    ...(runMs.length > 0 ? { runMs: median(runMs) } : {}),
    ...(bare.length > 0
      ? {
        bareMs: median(bare.map((b) => b.wallMs)),
        bareCpuMs: median(bare.map((b) => b.cpuMs ?? 0)),
      }
      : {}),
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
      await using sim = await startSimulator({ files: smallFileSpecs(count, size, now) });
      context.log(`${this.name}: ${count} files`);
      const m = await repeated(sim, concurrency, count, context.runs, { bare: true });
      return [{
        scenario: `${count} × 64 KiB, concurrency ${concurrency}`,
        toolMs: m.toolMs,
        baselineMs: m.baselineMs,
        baselineSyncedMs: m.syncedMs,
        baselineSyncfsMs: m.syncfsMs,
        baselineLabel: `curl --parallel-max ${concurrency}`,
        files: count,
        bytes: count * size,
        toolRss: m.rss,
        toolCpuMs: m.toolCpuMs,
        baselineCpuMs: m.baselineCpuMs,
        runMs: m.runMs,
        bareMs: m.bareMs,
        bareCpuMs: m.bareCpuMs,
        target: concurrency === 8
          ? { kind: "throughput", min: 0.9, against: "bare" }
          : { kind: "throughput", min: 1.0, against: "syncfs" },
        ...(concurrency === 8 ? { maxCpuPerFileVsBare: 1.25 } : {}),
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
      baselineSyncfsMs: m.syncfsMs,
      baselineLabel: "curl",
      files: 1,
      bytes: size,
      toolRss: m.rss,
      toolCpuMs: m.toolCpuMs,
      baselineCpuMs: m.baselineCpuMs,
      runMs: m.runMs,
      target: { kind: "throughput", min: 1.0, against: "syncfs" },
      maxRss: 100 * 1_000_000,
      note: `idle deno process: ${((idle ?? 0) / 1_000_000).toFixed(0)} MB peak RSS`,
    }];
  },
};

/** Answer delay of every simulator request in the latency-bound scenario. */
const LATENCY_MS = 50;

/**
 * 500 small files with 50 ms added to every simulator answer (token, Graph, DB, downloads): the
 * tool at concurrency 8 against `curl --parallel-max 8` over the same latency, and concurrency 16
 * against the tool's own concurrency 8.
 */
const latencyBound: Scenario = {
  name: "latency",
  description: `500 × 64 KiB with ${LATENCY_MS} ms added to every answer, concurrency 8 and 16`,
  async run(context: BenchContext): Promise<Row[]> {
    const count = context.quick ? 100 : 500;
    const size = 64 * KIB;
    const now = Date.now();
    await using sim = await startSimulator({
      files: Array.from({ length: count }, (_, i) => ({
        path: `${LIBRARY_PATH}/${fileName("slow", i)}`,
        size,
        lastModified: new Date(now - MINUTE - (i % 50) * MINUTE),
      })),
    });
    const options = { delayMs: LATENCY_MS };
    const c8 = await repeated(sim, 8, count, context.runs, options);
    const c16 = await repeated(sim, 16, count, context.runs, options);
    const common = { files: count, bytes: count * size, runMs: undefined };
    return [{
      ...common,
      scenario: `${count} × 64 KiB, +${LATENCY_MS} ms per answer, concurrency 8`,
      toolMs: c8.toolMs,
      baselineMs: c8.baselineMs,
      baselineSyncedMs: c8.syncedMs,
      baselineSyncfsMs: c8.syncfsMs,
      baselineLabel: "curl --parallel-max 8",
      toolRss: c8.rss,
      toolCpuMs: c8.toolCpuMs,
      baselineCpuMs: c8.baselineCpuMs,
      ...(c8.runMs === undefined ? {} : { runMs: c8.runMs }),
      target: { kind: "throughput", min: 1 / 1.2 },
    }, {
      ...common,
      scenario: `${count} × 64 KiB, +${LATENCY_MS} ms per answer, concurrency 16`,
      toolMs: c16.toolMs,
      baselineMs: c8.toolMs,
      baselineLabel: "ingest at concurrency 8",
      toolRss: c16.rss,
      toolCpuMs: c16.toolCpuMs,
      baselineCpuMs: c8.toolCpuMs,
      ...(c16.runMs === undefined ? {} : { runMs: c16.runMs }),
      target: { kind: "throughput", min: 1.0 },
      note: `curl --parallel-max 16 over the same latency: ${(c16.baselineMs / 1000).toFixed(2)} s`,
    }];
  },
};

/** The transfer scenarios in table order. */
export const transferScenarios: Scenario[] = [
  smallFiles(4),
  smallFiles(8),
  largeFile,
  latencyBound,
];
