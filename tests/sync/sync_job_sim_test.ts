/**
 * SyncJob through the real Graph and DB clients against the simulator over loopback HTTP.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { AbortedError, DbServiceError, ExitCode, GraphError } from "../../src/errors.ts";
import { dbClientFromSettings } from "../../src/db/http_db_client.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import { Metrics } from "../../src/metrics.ts";
import { SyncJob } from "../../src/sync_job.ts";
import { exitCodeForResult } from "../../src/sync/sync_result.ts";
import { listNames } from "./fixture.ts";
import { minutesAgo, readPlaced, report, simFixture } from "./sim_fixture.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("sim: places new files verified and dated, skipping ingested, pending and old ones", async () => {
  await using f = await simFixture({
    files: [
      report("a.csv", 10, { content: bytes("alpha,1\n") }),
      report("b.csv", 20, { size: 100_000 }),
      report("ingested.csv", 30),
      report("pending.csv", 40),
      report("old.csv", 600),
      { path: "Other/elsewhere.csv", lastModified: minutesAgo(5) },
    ],
    ingested: [{ name: "ingested.csv", at: minutesAgo(25) }],
  });
  await Deno.mkdir(f.settings.ingestion_dir, { recursive: true });
  await Deno.writeTextFile(join(f.settings.ingestion_dir, "pending.csv"), "not yet consumed");
  const result = await f.run();
  assert.deepEqual(result.downloaded.sort(), ["a.csv", "b.csv"]);
  assert.equal(result.listed, 5);
  assert.equal(result.in_window, 4);
  assert.equal(result.skipped_ingested, 1);
  assert.equal(result.skipped_pending, 1);
  assert.equal(result.bytes, 8 + 100_000);
  assert.deepEqual(result.failed, []);
  assert.equal(new TextDecoder().decode(await readPlaced(f, "a.csv")), "alpha,1\n");
  assert.equal((await readPlaced(f, "b.csv")).length, 100_000);
  assert.equal(
    await Deno.readTextFile(join(f.settings.ingestion_dir, "pending.csv")),
    "not yet consumed",
  );
  const stat = await Deno.stat(join(f.settings.ingestion_dir, "a.csv"));
  assert.ok(Math.abs(stat.mtime!.getTime() - (Date.now() - 10 * 60_000)) < 60_000);
  assert.deepEqual(await f.staged(), []);
  assert.equal(f.downloads().length, 2);
});

Deno.test("sim: DB service down fails the run with zero requests to the download origin", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5)] });
  f.sim.addFault({
    match: { server: "db" },
    fault: { kind: "status", status: 503 },
    times: Infinity,
  });
  await assert.rejects(f.run(), (error: unknown) => {
    assert.ok(error instanceof DbServiceError);
    assert.equal(error.status, 503);
    return true;
  });
  assert.equal(f.downloads().length, 0);
  assert.equal(f.sim.requestLog.filter((e) => e.server === "graph").length, 0);
  assert.deepEqual(await f.incoming(), []);
  assert.equal(f.metrics.value("syncjob.run.failure.count"), 1);
});

Deno.test("sim: DB service that is not listening fails the run before listing", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5)] }, {
    db_service_url: "http://127.0.0.1:1/ingested",
  });
  await assert.rejects(f.run(), DbServiceError);
  assert.equal(f.downloads().length, 0);
});

Deno.test("sim: the DB bearer token is sent and a wrong one fails the run with 401", async () => {
  {
    await using f = await simFixture({ files: [report("a.csv", 5)], dbToken: "db-token" }, {
      db_service_token: "db-token",
    });
    const result = await f.run();
    assert.deepEqual(result.downloaded, ["a.csv"]);
  }
  {
    await using f = await simFixture({ files: [report("a.csv", 5)], dbToken: "db-token" }, {
      db_service_token: "wrong",
    });
    await assert.rejects(
      f.run(),
      (error: unknown) => error instanceof DbServiceError && error.status === 401,
    );
    assert.equal(f.downloads().length, 0);
  }
});

Deno.test("sim: a listing error fails the run and downloads nothing", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5)] });
  f.sim.addFault({
    match: { server: "graph", path: /\/(children|delta)$/ },
    fault: { kind: "status", status: 403, code: "accessDenied" },
    times: Infinity,
  });
  await assert.rejects(f.run(), GraphError);
  assert.equal(f.downloads().length, 0);
});

Deno.test("sim: an empty folder is a successful run", async () => {
  await using f = await simFixture({ files: [] });
  f.sim.addFolder("Reports");
  const result = await f.run();
  assert.equal(result.listed, 0);
  assert.deepEqual(result.downloaded, []);
  assert.equal(exitCodeForResult(result), ExitCode.Ok);
});

Deno.test("sim: a hash mismatch is retried, then reported while the other files are placed", async () => {
  await using f = await simFixture({
    files: [report("good-1.csv", 5), report("bad.csv", 5, { size: 4096 }), report("good-2.csv", 5)],
  }, { max_retries: 2 });
  f.sim.addFault({
    match: { server: "download", file: "bad.csv" },
    fault: { kind: "corrupt" },
    times: Infinity,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded.sort(), ["good-1.csv", "good-2.csv"]);
  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0]!.name, "bad.csv");
  assert.match(result.failed[0]!.reason, /QuickXorHash|hash/i);
  assert.equal(f.downloads().filter((e) => e.fault === "corrupt").length, 3);
  assert.equal(exitCodeForResult(result), ExitCode.Partial);
  assert.deepEqual(await f.incoming(), ["good-1.csv", "good-2.csv"]);
  assert.deepEqual(await f.staged(), []);
});

Deno.test("sim: a corrupted transfer is retried and the second, intact copy is placed", async () => {
  const content = crypto.getRandomValues(new Uint8Array(5000));
  await using f = await simFixture({ files: [report("a.bin", 5, { content })] });
  f.sim.addFault({
    match: { server: "download", file: "a.bin" },
    fault: { kind: "corrupt" },
    times: 1,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["a.bin"]);
  assert.equal(quickXorHash(await readPlaced(f, "a.bin")), quickXorHash(content));
  assert.equal(f.downloads().length, 2);
});

Deno.test("sim: a truncated body is retried and the file placed whole", async () => {
  await using f = await simFixture({ files: [report("big.csv", 5, { size: 200_000 })] });
  f.sim.addFault({
    match: { server: "download", file: "big.csv" },
    fault: { kind: "truncate", afterBytes: 50_000 },
    times: 1,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["big.csv"]);
  assert.deepEqual(result.failed, []);
  assert.equal((await readPlaced(f, "big.csv")).length, 200_000);
  assert.equal(f.downloads().filter((e) => e.fault === "truncate").length, 1);
  assert.deepEqual(await f.staged(), []);
});

Deno.test("sim: a throttled download waits the Retry-After the server asked for", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5)] });
  f.sim.addFault({
    match: { server: "download", file: "a.csv" },
    fault: { kind: "status", status: 429, retryAfter: "0.05" },
    times: 1,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["a.csv"]);
  const attempts = f.downloads();
  assert.equal(attempts.length, 2);
  assert.equal(attempts[0]!.status, 429);
  assert.ok(
    attempts[1]!.at - attempts[0]!.at >= 45,
    `waited ${attempts[1]!.at - attempts[0]!.at} ms`,
  );
  assert.ok(f.clock.sleeps.some((ms) => ms >= 45 && ms <= 50), `sleeps ${f.clock.sleeps}`);
});

Deno.test("sim: downloads run at most download_concurrency at once, and more than one", async () => {
  await using f = await simFixture({
    files: Array.from({ length: 8 }, (_, i) => report(`f${i}.csv`, 5, { size: 64 * 1024 })),
  }, { download_concurrency: 3 });
  f.sim.addFault({
    match: { server: "download" },
    fault: { kind: "slow", delayMs: 10, chunkBytes: 16 * 1024 },
    times: Infinity,
  });
  const result = await f.run();
  assert.equal(result.downloaded.length, 8);
  assert.ok(f.sim.peakConcurrentDownloads <= 3, `peak ${f.sim.peakConcurrentDownloads}`);
  assert.ok(f.sim.peakConcurrentDownloads > 1, `peak ${f.sim.peakConcurrentDownloads}`);
});

Deno.test("sim: an abort mid-download throws AbortedError and leaves no temporary file", async () => {
  await using f = await simFixture({
    files: Array.from({ length: 4 }, (_, i) => report(`f${i}.csv`, 5, { size: 256 * 1024 })),
  }, { download_concurrency: 2 });
  f.sim.addFault({
    match: { server: "download" },
    fault: { kind: "slow", delayMs: 20, chunkBytes: 8 * 1024 },
    times: Infinity,
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 150);
  try {
    await assert.rejects(f.run({ signal: controller.signal }), AbortedError);
  } finally {
    clearTimeout(timer);
  }
  assert.ok(f.downloads().length <= 2, `${f.downloads().length} downloads started`);
  assert.deepEqual(await f.staged(), []);
  assert.deepEqual(await f.incoming(), []);
});

Deno.test("sim: a dry run lists and asks the DB service but sends nothing to the download origin", async () => {
  await using f = await simFixture({
    files: [report("a.csv", 5), report("b.csv", 5)],
    ingested: [{ name: "b.csv", at: minutesAgo(1) }],
  });
  const result = await f.run({ dryRun: true });
  assert.deepEqual(result.downloaded, ["a.csv"]);
  assert.equal(result.skipped_ingested, 1);
  assert.equal(f.downloads().length, 0);
  assert.equal(f.sim.requestLog.filter((e) => e.server === "db").length, 1);
  assert.deepEqual(await listNames(f.dir), []);
});

Deno.test("sim: a second run places nothing again while the first run's files wait (children)", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5), report("b.csv", 5)] }, {
    listing: "children",
  });
  const first = await f.run();
  assert.equal(first.downloaded.length, 2);
  const second = await f.run();
  assert.deepEqual(second.downloaded, []);
  // The ledger knows this job placed these very versions (#21).
  assert.equal(second.unchanged_content, 2);
  f.sim.markIngested("a.csv", minutesAgo(1));
  await Deno.remove(join(f.settings.ingestion_dir, "a.csv"));
  const third = await f.run();
  assert.deepEqual(third.downloaded, []);
  assert.equal(third.skipped_ingested, 1);
  assert.equal(third.unchanged_content, 1);
  assert.equal(f.downloads().length, 2);
});

Deno.test("sim: with delta, a second run lists nothing and downloads nothing again", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5), report("b.csv", 5)] });
  const first = await f.run();
  assert.equal(first.downloaded.length, 2);
  assert.equal(first.listing, "folder_delta");
  const second = await f.run();
  assert.deepEqual(second.downloaded, []);
  assert.equal(second.listed, 0);
  assert.equal(second.graph_requests, 1);
  assert.equal(second.graph_resource_units, 1);
  assert.equal(f.downloads().length, 2);
});

Deno.test("sim: two racing runs place every file exactly once and never overwrite", async () => {
  const files = Array.from({ length: 6 }, (_, i) => report(`r${i}.csv`, 5, { size: 32 * 1024 }));
  await using f = await simFixture({ files }, { download_concurrency: 3 });
  const settings = { ...f.settings, staging_dir: join(f.dir, "staging-2") };
  const rival = new SyncJob({
    settings,
    sharepoint: new GraphSharePointClient({ settings, backoff: { baseMs: 5, maxMs: 20 } }),
    db: dbClientFromSettings(settings),
    clock: f.clock,
    metrics: new Metrics(),
    defaultLookbackMs: 2 * 3_600_000,
  });
  const reference = new Date();
  const [one, two] = await Promise.all([
    f.job.run({ reference, trigger: "manual" }),
    rival.run({ reference, trigger: "manual" }),
  ]);
  const placed = [...one.downloaded, ...two.downloaded].sort();
  assert.deepEqual(placed, files.map((s) => s.path.slice("Reports/".length)).sort());
  assert.equal(one.downloaded.length + one.skipped_pending, 6);
  assert.equal(two.downloaded.length + two.skipped_pending, 6);
  assert.deepEqual([...one.failed, ...two.failed], []);
  assert.equal((await f.incoming()).length, 6);
  assert.deepEqual(await f.staged(), []);
  assert.deepEqual(await listNames(settings.staging_dir), []);
});
