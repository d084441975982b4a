/**
 * Listing scenarios: a huge folder (most items outside the window or already ingested, 100 new)
 * and a DB answer as large as the listing. The baseline fetches the same listing pages one after
 * the other and the DB answer with curl, then the new files at the tool's concurrency.
 * @module
 */
import { startSimulator } from "../src/sim/simulator.ts";
import type { SimFileSpec, Simulator } from "../src/sim/types.ts";
import { curlFetch, sequence } from "./baseline.ts";
import type { Measured } from "./measure.ts";
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
import { listSimFolder } from "./sim_listing.ts";
import { expectOk, runTool, toolResult, toolWorkspace } from "./tool.ts";

const NEW_FILE_BYTES = 64 * KIB;
const CONCURRENCY = 4;

/** How the items of a listing scenario are made. */
interface Population {
  items: number;
  /** Items modified 10 days ago (outside a 2-hour window). */
  old: number;
  /** Items in the window already recorded by the DB service. */
  ingested: number;
}

function population(p: Population, now: number): { files: SimFileSpec[]; ingested: string[] } {
  const files: SimFileSpec[] = [];
  const ingested: string[] = [];
  for (let i = 0; i < p.items; i++) {
    const name = fileName("item", i, 7);
    const old = i < p.old;
    const isIngested = !old && i < p.old + p.ingested;
    const isNew = !old && !isIngested;
    files.push({
      path: `${LIBRARY_PATH}/${name}`,
      size: isNew ? NEW_FILE_BYTES : 1 * KIB,
      lastModified: new Date(old ? now - 10 * DAY : now - MINUTE - (i % 90) * MINUTE),
    });
    if (isIngested) ingested.push(name);
  }
  return { files, ingested };
}

/** curl: every listing page in order, the DB answer, then the new files `CONCURRENCY` at a time. */
async function baseline(sim: Simulator, ingested: Set<string>, since: Date): Promise<Measured> {
  const listing = await listSimFolder(sim, FOLDER);
  const fresh = listing.files.filter((f) =>
    f.lastModified.getTime() >= since.getTime() && !ingested.has(f.name)
  );
  return await withTempDir("bench-curl-", async (dir) => {
    const db = new URL(sim.dbServiceUrl);
    db.searchParams.set("since", since.toISOString());
    db.searchParams.set("until", new Date().toISOString());
    const pages = await curlFetch(
      [
        { url: db.href, output: `${dir}/db.json` },
        ...listing.pageUrls.map((url, i) => ({ url, output: `${dir}/page-${i}.json` })),
      ],
      { headers: [`Authorization: ${listing.authorization}`] },
    );
    const steps = [pages];
    if (fresh.length > 0) {
      steps.push(
        await curlFetch(
          fresh.map((f, i) => ({ url: f.downloadUrl, output: `${dir}/file-${i}` })),
          { parallel: CONCURRENCY },
        ),
      );
    }
    return sequence(steps);
  });
}

async function listingRow(
  context: BenchContext,
  label: string,
  p: Population,
): Promise<Row> {
  const now = Date.now();
  const { files, ingested } = population(p, now);
  const fresh = p.items - p.old - p.ingested;
  context.log(`${label}: seeding ${p.items} items (${fresh} new)`);
  await using sim = await startSimulator({
    files,
    ingested: ingested.map((name) => ({ name, at: new Date(now - 30 * MINUTE) })),
  });
  const since = new Date(now - 120 * MINUTE);
  const base = await baseline(sim, new Set(ingested), since);
  const workspace = await toolWorkspace(sim, FOLDER, { download_concurrency: CONCURRENCY });
  const tool = await runTool(["--json", "trigger", "--lookback", "2h"], workspace.settings);
  expectOk(tool, label);
  const result = toolResult(tool.stdout);
  if (result.listed !== p.items || result.downloaded?.length !== fresh) {
    throw new Error(
      `${label}: listed ${result.listed}, downloaded ${result.downloaded?.length}; expected ${p.items}, ${fresh}`,
    );
  }
  return {
    scenario: label,
    toolMs: tool.wallMs,
    baselineMs: base.wallMs,
    baselineLabel: "curl pages + DB + files",
    files: p.items,
    bytes: fresh * NEW_FILE_BYTES,
    toolRss: tool.peakRss,
    toolCpuMs: tool.cpuMs,
    baselineCpuMs: base.cpuMs,
    runMs: result.duration_ms,
    target: { kind: "seconds", maxMs: 10_000 },
  };
}

const hugeFolder: Scenario = {
  name: "huge-folder",
  description:
    "100,000 items listed in pages of 1,000, 100 new; RSS compared with a 5× smaller folder",
  async run(context: BenchContext): Promise<Row[]> {
    const rows: Row[] = [];
    for (const items of context.quick ? [2_000, 10_000] : [20_000, 100_000]) {
      const ingested = Math.round(items * 0.1);
      rows.push(
        await listingRow(context, `huge folder: ${items.toLocaleString("en")} items, 100 new`, {
          items,
          old: items - ingested - 100,
          ingested,
        }),
      );
    }
    return rows;
  },
};

const dbAnswer: Scenario = {
  name: "db-100k",
  description: "DB answer of 100,000 names against a 100,000-item listing, nothing new",
  async run(context: BenchContext): Promise<Row[]> {
    const items = context.quick ? 10_000 : 100_000;
    return [
      await listingRow(context, `DB answer ${items.toLocaleString("en")} names vs listing`, {
        items,
        old: 0,
        ingested: items,
      }),
    ];
  },
};

/** The listing scenarios in table order. */
export const listingScenarios: Scenario[] = [hugeFolder, dbAnswer];
