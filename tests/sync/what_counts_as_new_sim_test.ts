/**
 * What counts as new (#21), end to end against the simulator over HTTP: back-dated arrivals,
 * column edits, the ledger in both listing modes, empty placeholders and Range retries of an item
 * that changed mid-run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { SimFileSpec } from "../../src/sim/types.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";
import { type ModesFixture, modesFixture } from "./delta_fixture.ts";
import { readPlaced, report, simFixture } from "./sim_fixture.ts";

const DAY = 86_400_000;
const MIB = 1024 * 1024;
const sorted = (names: string[]) => [...names].sort();

/** Records what both jobs placed as ingested at `at` and empties their ingestion folders. */
async function consume(f: ModesFixture, at: Date): Promise<void> {
  for (const job of [f.children, f.delta]) {
    for (const name of await job.incoming()) {
      f.sim.markIngested(name, at);
      await Deno.remove(join(job.settings.ingestion_dir, name));
    }
  }
}

/** Runs both modes; returns [children, delta]. */
async function runBoth(f: ModesFixture, options = {}) {
  return [await f.children.run(options), await f.delta.run(options)] as const;
}

Deno.test("sim: back-dated arrivals (synced, uploaded, moved, copied in) are placed; an old file is not", async () => {
  const yearsAgo = new Date(Date.now() - 730 * DAY);
  const seed: SimFileSpec[] = [
    report("old.csv", 3 * 24 * 60, { size: 10 }),
    { path: "Archive/moved.csv", lastModified: yearsAgo, created: yearsAgo, size: 11 },
    { path: "Archive/copied.csv", lastModified: yearsAgo, created: yearsAgo, size: 12 },
  ];
  await using f = await modesFixture({ files: seed });
  const first = await runBoth(f);
  for (const result of first) assert.deepEqual(result.downloaded, []);

  // OneDrive sync: the local modification time two years back, created when it arrived.
  f.sim.addFile({ path: "Reports/synced.csv", lastModified: yearsAgo, size: 13 });
  f.sim.addFile({ path: "Reports/synced.csv", lastModified: yearsAgo, created: new Date() });
  // rclone: both file times written from the source.
  f.sim.addFile({
    path: "Reports/rclone.csv",
    lastModified: yearsAgo,
    created: yearsAgo,
    size: 14,
  });
  f.sim.moveItem("Archive/moved.csv", "Reports/moved.csv");
  f.sim.copyItem("Archive/copied.csv", "Reports/copied.csv");
  await using logs = await recordLogs();
  const [children, delta] = await runBoth(f);

  assert.deepEqual(
    sorted(delta.downloaded),
    ["copied.csv", "moved.csv", "rclone.csv", "synced.csv"],
  );
  assert.equal(delta.arrived, 3, "three have both dates old");
  assert.deepEqual(sorted(delta.arrived_files ?? []), ["copied.csv", "moved.csv", "rclone.csv"]);
  // Children paging sees only what one of the dates puts in the window.
  assert.deepEqual(children.downloaded, ["synced.csv"]);
  assert.equal(children.arrived, 0);
  assert.ok(
    messages(logs).some((m) => /Selected "?moved\.csv"?: "?arrived"?/.test(m)),
    messages(logs).join("\n"),
  );
  assert.ok(!(await f.delta.incoming()).includes("old.csv"));
  const placed = await Deno.stat(join(f.delta.settings.ingestion_dir, "moved.csv"));
  assert.equal(placed.mtime?.getTime(), Math.floor(yearsAgo.getTime() / 1000) * 1000);
});

Deno.test("sim: a column edit of a placed file downloads nothing; a content edit downloads again", async () => {
  await using f = await modesFixture({
    files: [report("a.csv", 20, { size: 100 }), report("b.csv", 20, { size: 100 })],
  });
  await runBoth(f);
  // Ingested long ago: the DB service's window no longer lists them.
  await consume(f, new Date(Date.now() - 3 * DAY));
  f.sim.editMetadata("Reports/a.csv");
  f.sim.addFile(report("b.csv", 0.5, { size: 100, seed: 7 }));
  f.clock.advance(60_000);
  f.sim.clearRequestLog();
  const [children, delta] = await runBoth(f);
  for (const [mode, result] of [["children", children], ["delta", delta]] as const) {
    assert.deepEqual(result.downloaded, ["b.csv"], mode);
    assert.equal(result.unchanged_content, 1, mode);
  }
  assert.equal(f.sim.requestLog.filter((e) => e.server === "download").length, 2);
  for (const job of [f.children, f.delta]) {
    const bytes = await Deno.readFile(join(job.settings.ingestion_dir, "b.csv"));
    assert.equal(bytes.length, 100);
  }
});

Deno.test("sim: delta and children place the same files; a lost file comes back only with --ignore-ledger", async () => {
  await using f = await modesFixture({
    files: [report("kept.csv", 30, { size: 5 }), report("lost.csv", 30, { size: 6 })],
  });
  const first = await runBoth(f);
  for (const result of first) assert.deepEqual(sorted(result.downloaded), ["kept.csv", "lost.csv"]);
  // The watcher records kept.csv; it consumed lost.csv but lost it before recording it.
  for (const job of [f.children, f.delta]) {
    f.sim.markIngested("kept.csv", new Date(Date.now() - 1000));
    await Deno.remove(join(job.settings.ingestion_dir, "kept.csv"));
    await Deno.remove(join(job.settings.ingestion_dir, "lost.csv"));
  }
  const again = await runBoth(f);
  for (const result of again) assert.deepEqual(result.downloaded, []);
  assert.equal(again[0].unchanged_content, 1, "children: lost.csv is content this job placed");
  assert.equal(again[0].skipped_ingested, 1);

  await using logs = await recordLogs();
  const recovered = await runBoth(f, { ignoreLedger: true });
  for (const result of recovered) assert.deepEqual(result.downloaded, ["lost.csv"]);
  assert.ok(messages(logs).some((m) => /--ignore-ledger/.test(m)));
});

Deno.test("sim: an empty placeholder is held; its filled-in content is placed by a later run", async () => {
  await using f = await modesFixture({ files: [] }, { empty_file_grace_minutes: 10 });
  f.sim.addFolder("Reports");
  await runBoth(f);
  f.sim.addFile({ path: "Reports/scan.pdf", size: 0 });
  f.sim.addFile({ path: "Reports/empty.txt", size: 0 });
  const held = await runBoth(f);
  for (const result of held) {
    assert.deepEqual(result.downloaded, []);
    assert.equal(result.held_empty, 2);
    assert.deepEqual(result.failed, []);
  }
  f.sim.addFile({ path: "Reports/scan.pdf", size: 4096 });
  const filled = await runBoth(f);
  for (const result of filled) {
    assert.deepEqual(result.downloaded, ["scan.pdf"]);
    assert.equal(result.held_empty, 1);
  }
  for (const job of [f.children, f.delta]) {
    const bytes = await Deno.readFile(join(job.settings.ingestion_dir, "scan.pdf"));
    assert.equal(bytes.length, 4096);
  }
  // Still empty after the grace: real empty files exist.
  f.clock.advance(11 * 60_000);
  const late = await runBoth(f);
  for (const result of late) assert.deepEqual(result.downloaded, ["empty.txt"]);
});

Deno.test("sim: a Range retry after the item changed mid-run starts over and places the new version", async () => {
  await using f = await simFixture({ files: [report("big.bin", 5, { size: 5 * MIB })] });
  f.sim.addFault({
    match: { server: "download", file: "big.bin" },
    fault: { kind: "truncate", afterBytes: 3 * MIB },
  });
  const sleep = f.clock.sleep.bind(f.clock);
  let changed = false;
  // The retry's backoff, after the broken first attempt: the item changes in between.
  f.clock.sleep = (ms, signal) => {
    if (!changed && f.downloads().length === 1) {
      changed = true;
      f.sim.addFile({ path: "Reports/big.bin", size: 5 * MIB + 17, seed: 99 });
    }
    return sleep(ms, signal);
  };
  await using logs = await recordLogs();
  const result = await f.run();
  assert.ok(changed);
  assert.deepEqual(result.downloaded, ["big.bin"]);
  const bytes = await readPlaced(f, "big.bin");
  assert.equal(bytes.length, 5 * MIB + 17);
  const ranges = f.downloads().map((e) => e.headers.range);
  assert.deepEqual(ranges, [undefined, undefined], "no splice: the second attempt started over");
  assert.ok(messages(logs).some((m) => /Starting "?big\.bin"? over: it changed/.test(m)));
  // The ledger records the version placed, so the next run does not fetch it again.
  const next = await f.run({ fullListing: true });
  assert.deepEqual(next.downloaded, []);
  assert.equal(next.unchanged_content, 1);
});

Deno.test("sim: the download origin honours If-Range: another eTag answers 200 with the whole file", async () => {
  await using f = await simFixture({ files: [report("r.bin", 5, { size: 1000 })] });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["r.bin"]);
  const first = f.downloads()[0]!;
  assert.equal(first.headers["if-range"], undefined, "a fresh download sends no If-Range");
  const full = `${f.sim.downloadOrigin}${first.url}`;
  const response = await fetch(full, { headers: { range: "bytes=10-", "if-range": '"{X},9"' } });
  assert.equal(response.status, 200);
  assert.equal((await response.arrayBuffer()).byteLength, 1000);
  const listedEtag = response.headers.get("etag")!;
  const ranged = await fetch(full, { headers: { range: "bytes=10-", "if-range": listedEtag } });
  assert.equal(ranged.status, 206);
  assert.equal((await ranged.arrayBuffer()).byteLength, 990);
});
