/**
 * `include_subfolders` end to end: the real Graph and DB clients against the simulator over
 * loopback HTTP, for both layouts and both listing modes (issue #24, "Done when").
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ExitCode } from "../../src/errors.ts";
import { dbClientFromSettings } from "../../src/db/http_db_client.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import type { SharePointClient } from "../../src/graph/sharepoint_client.ts";
import { Metrics } from "../../src/metrics.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { SimFileSpec, SimOptions, Simulator } from "../../src/sim/types.ts";
import type { Settings } from "../../src/config/settings.ts";
import { SyncJob } from "../../src/sync_job.ts";
import { exitCodeForResult, type SyncResult } from "../../src/sync/sync_result.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";
import { OffsetClock } from "../helpers/clocks.ts";
import { minutesAgo, NO_RETRIES, simSettings } from "./sim_fixture.ts";

type Layout = "mirror" | "flatten";
type Mode = "delta" | "children";

const CASES: { layout: Layout; listing: Mode }[] = [
  { layout: "mirror", listing: "delta" },
  { layout: "mirror", listing: "children" },
  { layout: "flatten", listing: "delta" },
  { layout: "flatten", listing: "children" },
];

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** The name `path` gets in `ingestion_dir` under `layout` (default separator). */
function placedName(layout: Layout, path: string): string {
  return layout === "mirror" ? path : path.replaceAll("/", "__");
}

/** A file below the synced folder (`Reports`), modified `minutes` ago. */
function below(path: string, minutes: number, content?: string): SimFileSpec {
  return {
    path: `Reports/${path}`,
    lastModified: minutesAgo(minutes),
    ...(content === undefined ? {} : { content: bytes(content) }),
  };
}

/** Every file under `dir`, as relative paths with `/`, sorted. */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory) found.push(...await tree(join(dir, entry.name), relative));
      else found.push(relative);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort();
}

interface SubFixture extends AsyncDisposable {
  sim: Simulator;
  settings: Settings;
  run(): Promise<SyncResult>;
  placed(): Promise<string[]>;
  read(name: string): Promise<string>;
  /** Records every placed name as ingested (as the watcher would) and empties ingestion_dir. */
  consume(): Promise<void>;
}

async function subFixture(
  simOptions: SimOptions,
  overrides: Partial<Settings>,
  os?: string,
): Promise<SubFixture> {
  const sim = await startSimulator(simOptions);
  const dir = await Deno.makeTempDir({ prefix: "ingest-subfolders-" });
  const clock = new OffsetClock();
  const settings = simSettings(sim, dir, { ...NO_RETRIES, ...overrides });
  const job = new SyncJob({
    settings,
    sharepoint: new GraphSharePointClient({
      settings,
      clock,
      backoff: { baseMs: 1, maxMs: 5 },
      maxRetries: 0,
    }),
    db: dbClientFromSettings(settings),
    clock,
    metrics: new Metrics(),
    defaultLookbackMs: 2 * 3_600_000,
    ...(os === undefined ? {} : { os }),
  });
  return {
    sim,
    settings,
    run: () => job.run({ reference: new Date(clock.now()), trigger: "manual" }),
    placed: () => tree(settings.ingestion_dir),
    read: async (name) => text(await Deno.readFile(join(settings.ingestion_dir, name))),
    async consume() {
      for (const name of await tree(settings.ingestion_dir)) {
        sim.markIngested(name, new Date(clock.now() - 1000));
        await Deno.remove(join(settings.ingestion_dir, name));
      }
    },
    async [Symbol.asyncDispose]() {
      await sim.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function subfolders(layout: Layout, listing: Mode, extra: Partial<Settings> = {}) {
  return { include_subfolders: true, subfolder_layout: layout, listing, ...extra } as const;
}

for (const { layout, listing } of CASES) {
  const label = `${layout}, ${listing}`;

  Deno.test(`subfolders (${label}): same name in two subfolders, each with its own bytes`, async () => {
    await using f = await subFixture({
      files: [
        below("2026/11/x.csv", 10, "november"),
        below("2026/12/x.csv", 10, "december"),
        below("x.csv", 10, "top"),
        { path: "Other/2026/12/x.csv", lastModified: minutesAgo(5) },
      ],
    }, subfolders(layout, listing));
    const result = await f.run();
    const names = ["2026/11/x.csv", "2026/12/x.csv", "x.csv"].map((p) => placedName(layout, p));
    assert.deepEqual([...result.downloaded].sort(), [...names].sort());
    assert.deepEqual(await f.placed(), [...names].sort());
    assert.equal(await f.read(placedName(layout, "2026/11/x.csv")), "november");
    assert.equal(await f.read(placedName(layout, "2026/12/x.csv")), "december");
    assert.equal(await f.read("x.csv"), "top");
    assert.equal(result.listed, 3);
    assert.deepEqual(result.failed, []);
    if (layout === "flatten") {
      assert.deepEqual(result.relative_paths, {
        "2026__11__x.csv": "2026/11/x.csv",
        "2026__12__x.csv": "2026/12/x.csv",
      });
    } else assert.equal(result.relative_paths, undefined);
    // Nothing new: a second run places nothing and overwrites nothing.
    const again = await f.run();
    assert.deepEqual(again.downloaded, []);
    assert.deepEqual(again.failed, []);
    assert.equal(await f.read(placedName(layout, "2026/12/x.csv")), "december");
  });

  Deno.test(`subfolders (${label}): a DB answer naming one relative path skips exactly that file`, async () => {
    const skipped = placedName(layout, "2026/12/x.csv");
    await using f = await subFixture({
      files: [
        below("2026/11/x.csv", 10),
        below("2026/12/x.csv", 10),
        below("2026/12/y.csv", 10),
      ],
      // The bare file name is not the relative path: it skips nothing.
      ingested: [{ name: skipped, at: minutesAgo(5) }, { name: "x.csv", at: minutesAgo(5) }],
    }, subfolders(layout, listing));
    const result = await f.run();
    assert.deepEqual(
      [...result.downloaded].sort(),
      ["2026/11/x.csv", "2026/12/y.csv"].map((p) => placedName(layout, p)).sort(),
    );
    assert.equal(result.skipped_ingested, 1);
    assert.ok(!(await f.placed()).includes(skipped));
  });

  Deno.test(`subfolders (${label}): exclude "Archive/**" leaves the subtree out`, async () => {
    await using f = await subFixture({
      files: [
        below("Archive/old.csv", 10),
        below("Archive/2025/12/deep.csv", 10),
        below("2026/Archive/kept.csv", 10),
        below("2026/12/new.csv", 10),
        below("2026/12/notes.txt", 10),
      ],
    }, subfolders(layout, listing, { exclude: ["Archive/**", "*.txt"] }));
    const result = await f.run();
    assert.deepEqual(
      [...result.downloaded].sort(),
      ["2026/Archive/kept.csv", "2026/12/new.csv"].map((p) => placedName(layout, p)).sort(),
    );
    assert.equal(result.skipped_filtered, 3);
  });

  Deno.test(`subfolders (${label}): include "2026/**/*.csv" keeps csv files at any depth below 2026`, async () => {
    await using f = await subFixture({
      files: [
        below("2026/a.csv", 10),
        below("2026/12/b.csv", 10),
        below("2026/12/b.txt", 10),
        below("2025/c.csv", 10),
        below("top.csv", 10),
      ],
    }, subfolders(layout, listing, { include: ["2026/**/*.csv"] }));
    const result = await f.run();
    assert.deepEqual(
      [...result.downloaded].sort(),
      ["2026/a.csv", "2026/12/b.csv"].map((p) => placedName(layout, p)).sort(),
    );
  });

  Deno.test(`subfolders (${label}): a renamed folder's files count as new under their new paths`, async () => {
    await using f = await subFixture({
      files: [below("2026/12/x.csv", 10, "december"), below("top.csv", 10)],
    }, subfolders(layout, listing));
    const first = await f.run();
    assert.equal(first.downloaded.length, 2);
    await f.consume();
    f.sim.moveItem("Reports/2026", "Reports/2026-final");
    const second = await f.run();
    const moved = placedName(layout, "2026-final/12/x.csv");
    assert.deepEqual(second.downloaded, [moved]);
    assert.equal(await f.read(moved), "december");
    // Moved once more, deeper: new again.
    await f.consume();
    f.sim.moveItem("Reports/2026-final", "Reports/Done/2026");
    const third = await f.run();
    assert.deepEqual(third.downloaded, [placedName(layout, "Done/2026/12/x.csv")]);
  });

  Deno.test(`subfolders (${label}): a renamed folder whose files the feed does not report is listed`, async () => {
    await using f = await subFixture({
      files: [
        below("2026/12/x.csv", 10, "december"),
        below("2026/12/deep/y.csv", 10, "deep"),
        below("top.csv", 10),
      ],
    }, subfolders(layout, listing));
    assert.equal((await f.run()).downloaded.length, 3);
    await f.consume();
    // Only the folder itself changes in the feed (unconfirmed on SharePoint, so both are modelled).
    f.sim.setMovesReportDescendants(false);
    f.sim.moveItem("Reports/2026/12", "Reports/2026/December");
    const mark = f.sim.requestLog.length;
    const second = await f.run();
    assert.deepEqual(
      [...second.downloaded].sort(),
      ["2026/December/deep/y.csv", "2026/December/x.csv"].map((p) => placedName(layout, p)).sort(),
    );
    assert.equal(await f.read(placedName(layout, "2026/December/x.csv")), "december");
    if (listing === "delta") {
      // The delta page, then one listing of the renamed folder and one of its subfolder.
      const graph = f.sim.requestLog.slice(mark).filter((e) =>
        e.server === "graph" && e.status !== 0
      );
      assert.equal(graph.filter((e) => /\/children/.test(e.url)).length, 2);
      assert.equal(second.graph_requests, graph.length);
    }
    // Nothing changed since: an idle delta run lists no folder.
    await f.consume();
    const idle = await f.run();
    assert.deepEqual(idle.downloaded, []);
    if (listing === "delta") assert.equal(idle.graph_requests, 1);
  });

  Deno.test(`subfolders (${label}): without include_subfolders nothing changes`, async () => {
    await using f = await subFixture({
      files: [below("a.csv", 10, "a"), below("2026/12/x.csv", 10), below("2026/b.csv", 10)],
    }, { listing, subfolder_layout: layout, flatten_separator: "--" });
    const result = await f.run();
    assert.deepEqual(result.downloaded, ["a.csv"]);
    assert.equal(result.listed, 1);
    assert.deepEqual(await f.placed(), ["a.csv"]);
    assert.equal(result.relative_paths, undefined);
  });
}

Deno.test("subfolders (mirror): a file waiting in its subfolder of ingestion_dir is pending", async () => {
  await using f = await subFixture(
    { files: [below("2026/12/x.csv", 10, "new"), below("2026/11/x.csv", 10)] },
    subfolders("mirror", "delta"),
  );
  await Deno.mkdir(join(f.settings.ingestion_dir, "2026", "12"), { recursive: true });
  await Deno.writeTextFile(join(f.settings.ingestion_dir, "2026", "12", "x.csv"), "waiting");
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["2026/11/x.csv"]);
  assert.equal(result.skipped_pending, 1);
  assert.equal(await f.read("2026/12/x.csv"), "waiting");
});

Deno.test("subfolders (mirror): a DB name with backslashes matches the relative path", async () => {
  await using f = await subFixture({
    files: [below("2026/12/x.csv", 10), below("2026/12/y.csv", 10)],
    ingested: [{ name: "2026\\12\\x.csv", at: minutesAgo(5) }],
  }, subfolders("mirror", "delta"));
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["2026/12/y.csv"]);
  assert.equal(result.skipped_ingested, 1);
});

for (const listing of ["delta", "children"] as const) {
  Deno.test(`subfolders (flatten, ${listing}): two paths flattening to one name: one fails naming both`, async () => {
    await using f = await subFixture({
      files: [below("a__b.csv", 10, "top"), below("a/b.csv", 10, "nested"), below("c.csv", 10)],
    }, subfolders("flatten", listing));
    const result = await f.run();
    assert.deepEqual([...result.downloaded].sort(), ["a__b.csv", "c.csv"]);
    assert.equal(result.failed.length, 1);
    assert.equal(result.listed, 3);
    assert.equal(result.in_window, 3);
    const failure = result.failed[0]!;
    assert.equal(failure.name, "a__b.csv");
    assert.match(failure.reason, /"a\/b\.csv"|"a__b\.csv"/);
    assert.ok(failure.reason.includes('"a/b.csv"') && failure.reason.includes('"a__b.csv"'));
    assert.equal(exitCodeForResult(result), ExitCode.Partial);
    // Whichever came first was placed with its own bytes; nothing was overwritten.
    const placed = await f.read("a__b.csv");
    assert.ok(placed === "top" || placed === "nested");
    assert.deepEqual(await f.placed(), ["a__b.csv", "c.csv"]);
  });

  Deno.test(`subfolders (${listing}): a folder Windows refuses skips its subtree, one line per file, exit 3`, async () => {
    await using logs = await recordLogs();
    await using f = await subFixture(
      {
        files: [
          below("Drafts./a.csv", 10),
          below("Drafts./deep/b.csv", 10),
          below("ok/c.csv", 10),
        ],
      },
      subfolders("mirror", listing),
      "windows",
    );
    const result = await f.run();
    assert.deepEqual(result.downloaded, ["ok/c.csv"]);
    assert.deepEqual(result.failed.map((x) => x.name).sort(), [
      "Drafts./a.csv",
      "Drafts./deep/b.csv",
    ]);
    for (const failure of result.failed) {
      assert.match(failure.reason, /folder "Drafts\." is refused: .*dot or a space/);
      assert.equal(failure.refused_name, true);
    }
    assert.equal(exitCodeForResult(result), ExitCode.Partial);
    const lines = messages(logs).filter((m) => m.startsWith("Cannot download Drafts."));
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.deepEqual(await f.placed(), ["ok/c.csv"]);
  });
}

Deno.test("subfolders (children): every folder's pages count in the run's requests and resource units", async () => {
  const files: SimFileSpec[] = [];
  for (const folder of ["a", "b", "b/c", "b/c/d"]) {
    for (let i = 0; i < 5; i++) files.push(below(`${folder}/f${i}.csv`, 10));
  }
  // One more folder of 1001 files: two pages of 1000.
  for (let i = 0; i < 1001; i++) files.push(below(`big/g${i}.csv`, 60 * 24 * 10));
  await using f = await subFixture({ files }, subfolders("mirror", "children"));
  await f.run(); // resolves and saves the folder ids
  const mark = f.sim.requestLog.length;
  const result = await f.run();
  const graph = f.sim.requestLog.slice(mark).filter((e) => e.server === "graph" && e.status !== 0);
  const children = graph.filter((e) => /\/children/.test(e.url));
  // One listing per folder: Reports, a, b, b/c, b/c/d (one page each), big (two pages).
  assert.equal(children.length, 7);
  assert.equal(result.graph_requests, graph.length);
  assert.equal(result.graph_resource_units, 2 * children.length);
  assert.equal(result.listed, 20 + 1001);
  assert.equal(result.in_window, 20);
});

Deno.test("subfolders: a delta run with a link lists only what changed, with paths", async () => {
  await using f = await subFixture(
    { files: [below("2026/11/x.csv", 10), below("2026/12/y.csv", 10)] },
    subfolders("mirror", "delta"),
  );
  await f.run();
  await f.consume();
  f.sim.addFile(below("2026/12/z.csv", 1, "zed"));
  const mark = f.sim.requestLog.length;
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["2026/12/z.csv"]);
  assert.equal(result.listed, 1);
  assert.equal(await f.read("2026/12/z.csv"), "zed");
  const graph = f.sim.requestLog.slice(mark).filter((e) => e.server === "graph" && e.status !== 0);
  assert.equal(graph.length, 1);
  assert.equal(result.graph_resource_units, 1);
});

Deno.test("subfolders: turning include_subfolders on lists in full once", async () => {
  await using logs = await recordLogs();
  const sim = { files: [below("a.csv", 10), below("2026/b.csv", 10)] };
  await using f = await subFixture(sim, { listing: "delta" });
  assert.deepEqual((await f.run()).downloaded, ["a.csv"]);
  // The same job's state, now with subfolders: the saved link does not stand for the subtree.
  const job = new SyncJob({
    settings: { ...f.settings, include_subfolders: true },
    sharepoint: new GraphSharePointClient({ settings: f.settings, maxRetries: 0 }),
    db: dbClientFromSettings(f.settings),
    clock: new OffsetClock(),
    metrics: new Metrics(),
    defaultLookbackMs: 2 * 3_600_000,
  });
  const result = await job.run({ reference: new Date(), trigger: "manual" });
  assert.deepEqual(result.downloaded, ["2026/b.csv"]);
  assert.equal(result.unchanged_content, 1);
  assert.ok(messages(logs).some((m) => /in full .*include_subfolders changed/.test(m)));
});

Deno.test("subfolders: where folder delta is refused (501), root delta keeps only the subtree", async () => {
  await using f = await subFixture({
    files: [
      below("2026/12/x.csv", 10, "x"),
      below("top.csv", 10),
      { path: "Other/2026/12/x.csv", lastModified: minutesAgo(5) },
      { path: "Reports-old/y.csv", lastModified: minutesAgo(5) },
    ],
    folderDelta: false,
  }, subfolders("mirror", "delta"));
  const first = await f.run();
  assert.equal(first.listing, "root_delta");
  assert.deepEqual([...first.downloaded].sort(), ["2026/12/x.csv", "top.csv"]);
  assert.equal(first.listed, 2);
  await f.consume();
  f.sim.addFile(below("2026/12/z.csv", 1));
  f.sim.addFile({ path: "Other/2026/12/z.csv", lastModified: minutesAgo(1) });
  f.sim.moveItem("Reports/2026", "Reports/2026-final");
  const second = await f.run();
  assert.equal(second.listing, "root_delta");
  assert.deepEqual([...second.downloaded].sort(), [
    "2026-final/12/x.csv",
    "2026-final/12/z.csv",
  ]);
});

Deno.test("subfolders: a link-based feed naming files below unknown folders lists in full once", async () => {
  await using logs = await recordLogs();
  const sim = await startSimulator({ files: [below("2026/12/x.csv", 10)] });
  const dir = await Deno.makeTempDir({ prefix: "ingest-subfolders-" });
  try {
    const settings = simSettings(sim, dir, {
      include_subfolders: true,
      max_retries: 0,
      retry_delay_seconds: 0,
    });
    const graph = new GraphSharePointClient({ settings, maxRetries: 0 });
    // A feed read from a saved link that leaves out the folders above the changed files.
    const sharepoint: SharePointClient = {
      authenticate: (signal) => graph.authenticate(signal),
      resolveFolder: (signal) => graph.resolveFolder(signal),
      listFiles: (folder, signal) => graph.listFiles(folder, signal),
      listChildren: (folder, id, signal) => graph.listChildren(folder, id, signal),
      usage: () => graph.usage(),
      downloadFile: (file, destination, options) => graph.downloadFile(file, destination, options),
      async *listChanges(folder, options) {
        const changes = graph.listChanges(folder, options);
        for (;;) {
          const next = await changes.next();
          if (next.done) return next.value;
          if (options.link !== undefined && next.value.kind === "subfolder") continue;
          yield next.value;
        }
      },
    };
    const job = new SyncJob({
      settings,
      sharepoint,
      db: dbClientFromSettings(settings),
      clock: new OffsetClock(),
      metrics: new Metrics(),
      defaultLookbackMs: 2 * 3_600_000,
    });
    const run = () => job.run({ reference: new Date(), trigger: "manual" });
    assert.deepEqual((await run()).downloaded, ["2026/12/x.csv"]);
    sim.addFile(below("2026/12/y.csv", 1));
    const second = await run();
    assert.deepEqual(second.downloaded, ["2026/12/y.csv"]);
    assert.equal(second.unchanged_content, 1, "the full listing saw x.csv again");
    assert.ok(
      messages(logs).some((m) => /below folders the feed did not send .* in full/.test(m)),
    );
  } finally {
    await sim.close();
    await Deno.remove(dir, { recursive: true });
  }
});
