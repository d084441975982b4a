/**
 * The scale scenario: a first enumeration of a library folder of 1,000,000 items in 1,000
 * subfolders (delta, `include_subfolders`), of which 1,000 files are new, against the in-process
 * simulator; then an idle run from the saved delta link. The baseline is curl paging the same
 * delta feed (the same `$select` and `$top`, one connection), the DB answer, then the new files
 * at the tool's concurrency.
 * @module
 */
import { CHILDREN_PAGE_SIZE, DELTA_SELECT } from "../src/graph/graph_api.ts";
import { startSimulator } from "../src/sim/simulator.ts";
import type { SimFileSpec } from "../src/sim/types.ts";
import { curlFetch, sequence } from "./baseline.ts";
import type { Row } from "./report.ts";
import {
  type BenchContext,
  DAY,
  fileName,
  FOLDER,
  KIB,
  LIBRARY_PATH,
  MINUTE,
  type Scenario,
  withTempDir,
} from "./scenario.ts";
import { pageSimDelta } from "./sim_delta.ts";
import { expectOk, runTool, toolResult, toolWorkspace } from "./tool.ts";

const NEW_FILES = 1_000;
const NEW_FILE_BYTES = 16 * KIB;
const OLD_FILE_BYTES = 512;
const PER_FOLDER = 1_000;
const CONCURRENCY = 8;
const MB = 1_000_000;

/**
 * `items` files in folders of {@link PER_FOLDER}; every `items / NEW_FILES`-th file is new (in a
 * 2-hour window), the others were last modified 10 days ago.
 */
function seed(items: number, now: number): SimFileSpec[] {
  const files: SimFileSpec[] = [];
  const every = Math.max(1, Math.floor(items / NEW_FILES));
  for (let i = 0; i < items; i++) {
    const fresh = i % every === every - 1;
    const folder = `d${String(Math.floor(i / PER_FOLDER)).padStart(4, "0")}`;
    files.push({
      path: `${LIBRARY_PATH}/${folder}/${fileName("item", i, 7)}`,
      size: fresh ? NEW_FILE_BYTES : OLD_FILE_BYTES,
      lastModified: new Date(fresh ? now - 5 * MINUTE - (i % 60) * MINUTE : now - 10 * DAY),
    });
  }
  return files;
}

async function scaleRows(context: BenchContext, items: number, maxRss: number): Promise<Row[]> {
  const label = `first delta enumeration: ${items.toLocaleString("en")} items in subfolders`;
  const now = Date.now();
  context.log(`${label}: seeding`);
  const files = seed(items, now);
  const fresh = Math.min(NEW_FILES, items);
  await using sim = await startSimulator({ files });
  files.length = 0;
  const since = new Date(now - 120 * MINUTE);
  // One pass in this process first: the simulator hashes each item when first listed, a cost
  // neither measured side should pay.
  context.log(`${label}: paging the feed once (warm-up, page URLs)`);
  const feed = await pageSimDelta(sim, FOLDER, {
    since,
    select: DELTA_SELECT,
    top: CHILDREN_PAGE_SIZE,
  });
  if (feed.fresh.length !== fresh) {
    throw new Error(`${label}: the feed holds ${feed.fresh.length} new files, not ${fresh}`);
  }
  const base = await withTempDir("bench-curl-", async (dir) => {
    const db = new URL(sim.dbServiceUrl);
    db.searchParams.set("since", since.toISOString());
    db.searchParams.set("until", new Date().toISOString());
    const pages = await curlFetch(
      [
        { url: db.href, output: `${dir}/db.json` },
        // One output file, overwritten: 1,000 page files would only add file creations.
        ...feed.pageUrls.map((url) => ({ url, output: `${dir}/page.json` })),
      ],
      { headers: [`Authorization: ${feed.authorization}`] },
    );
    const downloads = await curlFetch(
      feed.fresh.map((url, i) => ({ url, output: `${dir}/file-${i}` })),
      { parallel: CONCURRENCY },
    );
    return { pages, all: sequence([pages, downloads]) };
  });
  context.log(
    `${label}: curl paged ${feed.pageUrls.length} pages in ${base.pages.wallMs.toFixed(0)} ms`,
  );
  const workspace = await toolWorkspace(sim, FOLDER, {
    download_concurrency: CONCURRENCY,
    listing: "delta",
    include_subfolders: true,
  });
  const first = await runTool(["--json", "trigger", "--lookback", "2h"], workspace.settings);
  expectOk(first, label);
  const result = toolResult(first.stdout);
  if (result.downloaded?.length !== fresh) {
    throw new Error(`${label}: downloaded ${result.downloaded?.length}, expected ${fresh}`);
  }
  // The idle run: no `--lookback`, so the window follows the last run and the saved link is used.
  const idle = await runTool(["--json", "trigger"], workspace.settings);
  expectOk(idle, `${label}, idle run`);
  const idleResult = toolResult(idle.stdout);
  if (idleResult.downloaded?.length !== 0) {
    throw new Error(`${label}: the idle run downloaded ${idleResult.downloaded?.length}`);
  }
  const itemsPerSecond = items / ((result.duration_ms ?? first.wallMs) / 1000);
  const note = `${Math.round(itemsPerSecond).toLocaleString("en")} items/s in-run; ` +
    `curl paging alone ${(base.pages.wallMs / 1000).toFixed(2)} s for ${feed.pageUrls.length} ` +
    `pages; ${result.listed} listed`;
  context.log(`${label}: ${note}`);
  return [{
    scenario: label,
    toolMs: first.wallMs,
    baselineMs: base.all.wallMs,
    baselineLabel: "curl delta pages + DB + files",
    files: items,
    bytes: fresh * NEW_FILE_BYTES,
    toolRss: first.peakRss,
    toolCpuMs: first.cpuMs,
    baselineCpuMs: base.all.cpuMs,
    runMs: result.duration_ms,
    target: { kind: "throughput", min: 0.5 },
    maxRss,
    note,
  }, {
    scenario: `idle run after it (saved delta link), ${items.toLocaleString("en")} items`,
    toolMs: idle.wallMs,
    baselineMs: base.pages.wallMs / feed.pageUrls.length,
    baselineLabel: "curl, one delta page",
    files: 0,
    bytes: 0,
    toolRss: idle.peakRss,
    toolCpuMs: idle.cpuMs,
    runMs: idleResult.duration_ms,
    target: { kind: "none" },
    maxRss: 100 * MB,
  }];
}

const scale1m: Scenario = {
  name: "scale-1m",
  description:
    "first delta enumeration of 1,000,000 items in 1,000 subfolders, 1,000 new; idle run",
  async run(context: BenchContext): Promise<Row[]> {
    return await scaleRows(context, context.quick ? 50_000 : 1_000_000, 256 * MB);
  },
};

const scale100k: Scenario = {
  name: "scale-100k",
  description: "the same with 100,000 items (RSS target 120 MB)",
  async run(context: BenchContext): Promise<Row[]> {
    return await scaleRows(context, context.quick ? 10_000 : 100_000, 120 * MB);
  },
};

/** The scale scenarios in table order. */
export const scaleScenarios: Scenario[] = [scale100k, scale1m];
