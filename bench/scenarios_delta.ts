/**
 * Change-tracking scenario: what an idle run costs in Graph requests and SharePoint resource
 * units, children paging against delta with a saved link, over the same simulated folder. Each
 * mode gets its own workspace: a first run lists everything (and, for delta, saves the link),
 * then an idle run is measured; the figures come from the runs' `--json` results.
 * @module
 */
import { startSimulator } from "../src/sim/simulator.ts";
import type { SimFileSpec, Simulator } from "../src/sim/types.ts";
import type { Row } from "./report.ts";
import {
  type BenchContext,
  DAY,
  fileName,
  FOLDER,
  LIBRARY_PATH,
  MINUTE,
  type Scenario,
} from "./scenario.ts";
import { expectOk, runTool, toolWorkspace } from "./tool.ts";

/** The `--json` fields this scenario reads. */
interface CostResult {
  listed?: number;
  downloaded?: string[];
  listing?: string;
  graph_requests?: number;
  graph_resource_units?: number;
  duration_ms?: number;
}

/** One mode's first and idle runs. */
interface ModeCost {
  first: CostResult;
  idle: CostResult;
  idleWallMs: number;
  idleRss: number | undefined;
  idleCpuMs: number | undefined;
}

function seed(items: number, now: number): SimFileSpec[] {
  const files: SimFileSpec[] = [];
  for (let i = 0; i < items; i++) {
    const fresh = i >= items - 10;
    files.push({
      path: `${LIBRARY_PATH}/${fileName("item", i, 7)}`,
      size: 1024,
      lastModified: new Date(fresh ? now - 5 * MINUTE : now - 10 * DAY),
    });
  }
  return files;
}

async function modeCost(sim: Simulator, listing: "children" | "delta"): Promise<ModeCost> {
  const workspace = await toolWorkspace(sim, FOLDER, { listing, lookback_minutes: 120 });
  const parse = (stdout: string) => JSON.parse(stdout) as CostResult;
  const first = await runTool(["--json", "trigger"], workspace.settings);
  expectOk(first, `${listing} first run`);
  const idle = await runTool(["--json", "trigger"], workspace.settings);
  expectOk(idle, `${listing} idle run`);
  const idleResult = parse(idle.stdout);
  if ((idleResult.downloaded?.length ?? -1) !== 0) {
    throw new Error(`${listing} idle run downloaded ${idleResult.downloaded?.length} files`);
  }
  return {
    first: parse(first.stdout),
    idle: idleResult,
    idleWallMs: idle.wallMs,
    idleRss: idle.peakRss,
    idleCpuMs: idle.cpuMs,
  };
}

function cost(result: CostResult): string {
  return `${result.graph_requests} req / ${result.graph_resource_units} RU`;
}

async function idleRow(context: BenchContext, items: number): Promise<Row> {
  const label = `idle run, ${items.toLocaleString("en")} items: delta vs children`;
  context.log(`${label}: seeding`);
  await using sim = await startSimulator({ files: seed(items, Date.now()) });
  const children = await modeCost(sim, "children");
  const delta = await modeCost(sim, "delta");
  if (delta.idle.listing !== "folder_delta" || children.idle.listing !== "children") {
    throw new Error(`${label}: listed with ${delta.idle.listing} / ${children.idle.listing}`);
  }
  const note = `per idle run: children ${cost(children.idle)}, delta ${cost(delta.idle)}; ` +
    `first run: children ${cost(children.first)}, delta ${cost(delta.first)} ` +
    `(${delta.first.listed} listed, ${delta.first.downloaded?.length} placed)`;
  context.log(`${label}: ${note}`);
  return {
    scenario: label,
    toolMs: delta.idleWallMs,
    baselineMs: children.idleWallMs,
    baselineLabel: `children idle: ${cost(children.idle)}; delta idle: ${cost(delta.idle)}`,
    files: 0,
    bytes: 0,
    toolRss: delta.idleRss,
    toolCpuMs: delta.idleCpuMs,
    baselineCpuMs: children.idleCpuMs,
    runMs: delta.idle.duration_ms,
    target: { kind: "none" },
    note,
  };
}

const idle100k: Scenario = {
  name: "idle-100k",
  description: "Graph requests and resource units of an idle run, children vs delta",
  async run(context: BenchContext): Promise<Row[]> {
    const sizes = context.quick ? [2_000, 10_000] : [20_000, 100_000];
    const rows: Row[] = [];
    for (const items of sizes) rows.push(await idleRow(context, items));
    return rows;
  },
};

/** The change-tracking scenarios in table order. */
export const deltaScenarios: Scenario[] = [idle100k];
