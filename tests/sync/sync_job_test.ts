import assert from "node:assert/strict";
import { join } from "node:path";
import {
  AbortedError,
  AuthError,
  ConfigError,
  DbServiceError,
  ExitCode,
  GraphError,
  IntegrityError,
  UsageError,
} from "../../src/errors.ts";
import { SyncJob } from "../../src/sync_job.ts";
import { exitCodeForResult } from "../../src/sync/sync_result.ts";
import { fixture, LOOKBACK_MS, minutesAgo, readIncoming, REFERENCE } from "./fixture.ts";

Deno.test("SyncJob places new files with the server's modification time and reports them", async () => {
  await using f = await fixture([
    { name: "a.csv", content: "alpha", lastModified: minutesAgo(10) },
    { name: "b.csv", content: "bravo!", lastModified: minutesAgo(20) },
  ]);
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["a.csv", "b.csv"]);
  assert.equal(result.listed, 2);
  assert.equal(result.in_window, 2);
  assert.equal(result.bytes, 11);
  assert.deepEqual(result.failed, []);
  assert.equal(result.since, "2026-03-01T10:00:00.000Z");
  assert.equal(result.until, "2026-03-01T12:00:00.000Z");
  assert.equal(result.dry_run, false);
  assert.equal(result.trigger, "manual");
  assert.deepEqual(await f.incoming(), ["a.csv", "b.csv"]);
  assert.deepEqual(await f.staged(), []);
  assert.equal(await readIncoming(f, "a.csv"), "alpha");
  const stat = await Deno.stat(join(f.settings.ingestion_dir, "b.csv"));
  assert.equal(stat.mtime?.toISOString(), minutesAgo(20).toISOString());
  assert.equal(exitCodeForResult(result), ExitCode.Ok);
});

Deno.test("SyncJob works in the seed's order: authenticate, DB, resolve, list, download", async () => {
  await using f = await fixture([{ name: "a.csv", lastModified: minutesAgo(5) }]);
  await f.run();
  assert.deepEqual(f.sharepoint.calls, [
    "authenticate",
    "resolveFolder",
    "listChanges",
    "download:a.csv",
  ]);
  assert.equal(f.db.windows.length, 1);
  assert.equal(f.db.windows[0]!.since.toISOString(), "2026-03-01T10:00:00.000Z");
  assert.equal(f.db.windows[0]!.until.toISOString(), REFERENCE.toISOString());
});

Deno.test("SyncJob skips files the DB service reports as ingested (exact name match)", async () => {
  await using f = await fixture(
    [
      { name: "a.csv", lastModified: minutesAgo(5) },
      { name: "B.csv", lastModified: minutesAgo(5) },
      { name: "c.csv", lastModified: minutesAgo(5) },
    ],
    {},
    { ingested: ["a.csv", "b.csv", "other.csv"] },
  );
  const result = await f.run();
  assert.equal(result.skipped_ingested, 1);
  assert.deepEqual(result.downloaded, ["B.csv", "c.csv"]);
  assert.deepEqual(f.sharepoint.downloads, ["B.csv", "c.csv"]);
  assert.equal(f.metrics.value("syncjob.skipped_ingested.count"), 1);
});

Deno.test("SyncJob propagates DB service errors before listing or downloading anything", async () => {
  await using f = await fixture([{ name: "a.csv", lastModified: minutesAgo(5) }]);
  f.db.error = new DbServiceError("Cannot query DB service http://db/x: HTTP 503", { status: 503 });
  await assert.rejects(f.run(), DbServiceError);
  assert.deepEqual(f.sharepoint.calls, ["authenticate"]);
  assert.deepEqual(await f.incoming(), []);
  assert.equal(f.metrics.value("syncjob.run.count"), 1);
  assert.equal(f.metrics.value("syncjob.run.failure.count"), 1);
});

Deno.test("SyncJob propagates SharePoint list errors and downloads nothing", async () => {
  await using f = await fixture([
    { name: "a.csv", lastModified: minutesAgo(5) },
    { name: "b.csv", lastModified: minutesAgo(5) },
  ]);
  f.sharepoint.listError = new GraphError("Cannot list folder: HTTP 500", { status: 500 });
  f.sharepoint.listFailAfter = 1;
  await assert.rejects(
    f.run(),
    (error: unknown) => error instanceof GraphError && error.status === 500,
  );
  assert.deepEqual(f.sharepoint.downloads, []);
  assert.deepEqual(await f.incoming(), []);
});

Deno.test("SyncJob propagates authentication errors before asking the DB service", async () => {
  await using f = await fixture([{ name: "a.csv", lastModified: minutesAgo(5) }]);
  f.sharepoint.authError = new AuthError("Cannot get a token: AADSTS7000215", { aadsts: 7000215 });
  await assert.rejects(f.run(), AuthError);
  assert.equal(f.db.windows.length, 0);
});

Deno.test("SyncJob handles an empty folder as a successful run with nothing to do", async () => {
  await using f = await fixture([]);
  const result = await f.run();
  assert.equal(result.listed, 0);
  assert.deepEqual(result.downloaded, []);
  assert.deepEqual(result.failed, []);
  assert.equal(exitCodeForResult(result), ExitCode.Ok);
  assert.equal(f.metrics.value("syncjob.run.count"), 1);
  assert.equal(f.metrics.value("syncjob.run.failure.count"), 0);
});

Deno.test("SyncJob reports a file that keeps failing and places the others (partial success)", async () => {
  await using f = await fixture([
    { name: "a.csv", lastModified: minutesAgo(5) },
    { name: "bad.csv", content: "0123456789", lastModified: minutesAgo(5) },
    { name: "c.csv", lastModified: minutesAgo(5) },
  ], { max_retries: 2, retry_delay_seconds: 0.5, download_concurrency: 1 });
  f.sharepoint.failDownload(
    "bad.csv",
    new IntegrityError("Cannot verify bad.csv: QuickXorHash mismatch"),
    new IntegrityError("Cannot verify bad.csv: QuickXorHash mismatch"),
    new IntegrityError("Cannot verify bad.csv: QuickXorHash mismatch"),
  );
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["a.csv", "c.csv"]);
  assert.deepEqual(result.failed, [{
    name: "bad.csv",
    reason: "Cannot verify bad.csv: QuickXorHash mismatch",
  }]);
  assert.equal(f.sharepoint.downloads.filter((n) => n === "bad.csv").length, 3);
  assert.deepEqual(f.clock.sleeps, [500, 1000]);
  assert.equal(exitCodeForResult(result), ExitCode.Partial);
  assert.deepEqual(await f.incoming(), ["a.csv", "c.csv"]);
  assert.deepEqual(await f.staged(), []);
  assert.equal(f.metrics.value("syncjob.download.success.count"), 2);
  assert.equal(f.metrics.value("syncjob.download.failure.count"), 1);
});

Deno.test("SyncJob retries a transient download failure and then places the file", async () => {
  await using f = await fixture([{ name: "a.csv", content: "whole", lastModified: minutesAgo(5) }]);
  f.sharepoint.failDownload("a.csv", new GraphError("Cannot download a.csv: connection reset"));
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["a.csv"]);
  assert.deepEqual(f.sharepoint.downloads, ["a.csv", "a.csv"]);
  assert.equal(await readIncoming(f, "a.csv"), "whole");
  assert.deepEqual(f.clock.sleeps, [1]);
});

Deno.test("SyncJob does not retry a file that is gone (404)", async () => {
  await using f = await fixture([{ name: "a.csv", lastModified: minutesAgo(5) }]);
  f.sharepoint.failDownload(
    "a.csv",
    new GraphError("Cannot download a.csv: itemNotFound", { status: 404 }),
  );
  const result = await f.run();
  assert.equal(result.failed.length, 1);
  assert.deepEqual(f.sharepoint.downloads, ["a.csv"]);
  assert.equal(exitCodeForResult(result), ExitCode.Failed);
});

Deno.test("SyncJob keeps files modified in [since, until) and counts the rest as listed only", async () => {
  await using f = await fixture([
    { name: "at-since.csv", lastModified: new Date(REFERENCE.getTime() - LOOKBACK_MS) },
    { name: "before-since.csv", lastModified: new Date(REFERENCE.getTime() - LOOKBACK_MS - 1) },
    { name: "just-before-until.csv", lastModified: new Date(REFERENCE.getTime() - 1) },
    { name: "at-until.csv", lastModified: REFERENCE },
    { name: "future.csv", lastModified: new Date(REFERENCE.getTime() + 60_000) },
  ]);
  const result = await f.run();
  assert.equal(result.listed, 5);
  assert.equal(result.in_window, 2);
  assert.deepEqual(result.downloaded, ["at-since.csv", "just-before-until.csv"]);
});

Deno.test("SyncJob takes the window from --since, then --lookback, then lookback_minutes", async () => {
  const files = [
    { name: "3h.csv", lastModified: minutesAgo(180) },
    { name: "30m.csv", lastModified: minutesAgo(30) },
  ];
  {
    await using f = await fixture(files, { lookback_minutes: 240 });
    const result = await f.run({ since: minutesAgo(60), lookbackMs: 600 * 60_000 });
    assert.equal(result.since, minutesAgo(60).toISOString());
    assert.deepEqual(result.downloaded, ["30m.csv"]);
  }
  {
    await using f = await fixture(files, { lookback_minutes: 10 });
    const result = await f.run({ lookbackMs: 240 * 60_000 });
    assert.deepEqual(result.downloaded, ["3h.csv", "30m.csv"]);
  }
  {
    await using f = await fixture(files, { lookback_minutes: 240 });
    const result = await f.run();
    assert.equal(result.since, minutesAgo(240).toISOString());
    assert.equal(f.db.windows[0]!.since.toISOString(), minutesAgo(240).toISOString());
  }
});

Deno.test("SyncJob rejects a --since that is not before the reference time", async () => {
  await using f = await fixture([]);
  await assert.rejects(f.run({ since: REFERENCE }), UsageError);
  assert.deepEqual(f.sharepoint.calls, []);
});

Deno.test("SyncJob leaves files younger than min_age_seconds for a later run", async () => {
  await using f = await fixture([
    { name: "young.csv", lastModified: new Date(REFERENCE.getTime() - 30_000) },
    { name: "old.csv", lastModified: new Date(REFERENCE.getTime() - 60_000) },
  ], { min_age_seconds: 60 });
  const result = await f.run();
  assert.equal(result.skipped_filtered, 1);
  assert.deepEqual(result.downloaded, ["old.csv"]);
});

Deno.test("SyncJob applies include and exclude globs case-insensitively", async () => {
  await using f = await fixture([
    { name: "Sales-1.CSV", lastModified: minutesAgo(5) },
    { name: "sales-2.csv", lastModified: minutesAgo(5) },
    { name: "sales-draft.csv", lastModified: minutesAgo(5) },
    { name: "notes.txt", lastModified: minutesAgo(5) },
    { name: "old.csv", lastModified: minutesAgo(500) },
  ], { include: ["*.csv", "*.xlsx"], exclude: ["*draft*"] });
  const result = await f.run();
  assert.equal(result.in_window, 4);
  assert.equal(result.skipped_filtered, 2);
  assert.deepEqual(result.downloaded, ["Sales-1.CSV", "sales-2.csv"]);
  assert.equal(f.metrics.value("syncjob.skipped_filtered.count"), 2);
});

Deno.test("SyncJob never overwrites a file still waiting in ingestion_dir (skipped_pending)", async () => {
  await using f = await fixture([
    { name: "a.csv", content: "new", lastModified: minutesAgo(5) },
    { name: "b.csv", content: "bee", lastModified: minutesAgo(5) },
  ]);
  await Deno.mkdir(f.settings.ingestion_dir, { recursive: true });
  await Deno.writeTextFile(join(f.settings.ingestion_dir, "a.csv"), "waiting");
  const result = await f.run();
  assert.equal(result.skipped_pending, 1);
  assert.deepEqual(result.downloaded, ["b.csv"]);
  assert.deepEqual(f.sharepoint.downloads, ["b.csv"]);
  assert.equal(await readIncoming(f, "a.csv"), "waiting");
  assert.equal(f.metrics.value("syncjob.skipped_pending.count"), 1);
});

for (
  const [os, unsafe, stored] of [
    [
      "windows",
      ["../evil.csv", "a\\b.csv", "CON.txt", "x:y.csv", "trailing.", "tab\there.csv", "COM¹.csv"],
      [],
    ],
    ["linux", ["../evil.csv", "a\\b.csv", "tab\there.csv"], ["CON.txt", "trailing.", "x:y.csv"]],
  ] as const
) {
  Deno.test({
    name: `SyncJob on ${os} reports names ${os} cannot store as failed and writes nothing for them`,
    // The Linux case writes names Windows cannot store; the names table covers both OSes anywhere.
    ignore: os === "linux" && Deno.build.os === "windows",
  }, async () => {
    await using f = await fixture(
      [
        ...[...unsafe, ...stored].map((name) => ({ name, lastModified: minutesAgo(5) })),
        { name: "fine.csv", lastModified: minutesAgo(5) },
      ],
      {},
      { os },
    );
    const result = await f.run();
    assert.deepEqual(result.downloaded, [...stored, "fine.csv"]);
    assert.deepEqual(result.failed.map((x) => x.name), unsafe);
    for (const failure of result.failed) {
      assert.match(failure.reason, /^Cannot write this name: the name /);
    }
    assert.deepEqual(f.sharepoint.downloads, [...stored, "fine.csv"]);
    assert.deepEqual(await f.incoming(), [...stored, "fine.csv"].sort());
    assert.deepEqual((await Array.fromAsync(Deno.readDir(f.dir))).map((e) => e.name).sort(), [
      "incoming",
      "staging",
    ]);
  });
}

Deno.test("SyncJob runs at most download_concurrency downloads at once", async () => {
  await using f = await fixture(
    Array.from({ length: 7 }, (_, i) => ({ name: `f${i}.csv`, lastModified: minutesAgo(5) })),
    { download_concurrency: 3 },
  );
  f.sharepoint.downloadDelayMs = 15;
  const result = await f.run();
  assert.equal(result.downloaded.length, 7);
  assert.equal(f.sharepoint.peakActive, 3);
});

Deno.test("SyncJob leaves no temporary file behind after failures", async () => {
  await using f = await fixture([
    { name: "a.csv", lastModified: minutesAgo(5) },
    { name: "b.csv", lastModified: minutesAgo(5) },
  ], { max_retries: 1 });
  f.sharepoint.failDownload("a.csv", new Error("disk full"), new Error("disk full"));
  f.sharepoint.failDownload("b.csv", new GraphError("truncated"));
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["b.csv"]);
  assert.deepEqual(result.failed, [{ name: "a.csv", reason: "disk full" }]);
  assert.deepEqual(await f.staged(), []);
  assert.deepEqual(await f.incoming(), ["b.csv"]);
});

Deno.test("SyncJob on abort starts no new file, removes temporary files and throws AbortedError", async () => {
  await using f = await fixture(
    Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.csv`, lastModified: minutesAgo(5) })),
    { download_concurrency: 2 },
  );
  const controller = new AbortController();
  f.sharepoint.downloadDelayMs = 1000;
  let started = 0;
  f.sharepoint.beforeDownload = async () => {
    if (++started === 2) setTimeout(() => controller.abort(), 5);
    await Promise.resolve();
  };
  await assert.rejects(f.run({ signal: controller.signal }), AbortedError);
  assert.equal(f.sharepoint.downloads.length, 2);
  assert.deepEqual(await f.staged(), []);
  assert.deepEqual(await f.incoming(), []);
  assert.equal(f.metrics.value("syncjob.run.failure.count"), 1);
});

Deno.test("SyncJob counts a name placed meanwhile by a racing run as skipped_pending", async () => {
  await using f = await fixture([{ name: "a.csv", content: "ours", lastModified: minutesAgo(5) }]);
  f.sharepoint.beforeDownload = async () => {
    await Deno.writeTextFile(join(f.settings.ingestion_dir, "a.csv"), "theirs");
  };
  const result = await f.run();
  assert.deepEqual(result.downloaded, []);
  assert.equal(result.skipped_pending, 1);
  assert.deepEqual(result.failed, []);
  assert.equal(await readIncoming(f, "a.csv"), "theirs");
  assert.deepEqual(await f.staged(), []);
});

Deno.test("SyncJob removes leftover temporary files of a killed run at start", async () => {
  await using f = await fixture([{ name: "a.csv", lastModified: minutesAgo(5) }]);
  await Deno.mkdir(f.settings.staging_dir, { recursive: true });
  await Deno.writeTextFile(join(f.settings.staging_dir, "0b1e2c3d.part"), "half");
  await Deno.writeTextFile(join(f.settings.staging_dir, "keep.txt"), "not ours");
  await f.run();
  assert.deepEqual(await f.staged(), ["keep.txt"]);
});

Deno.test("SyncJob dry run plans the same work but downloads and creates nothing", async () => {
  await using f = await fixture(
    [
      { name: "a.csv", lastModified: minutesAgo(5) },
      { name: "b.csv", lastModified: minutesAgo(5) },
      { name: "a/b", lastModified: minutesAgo(5) },
      { name: "old.csv", lastModified: minutesAgo(500) },
    ],
    {},
    { ingested: ["b.csv"] },
  );
  const metricsFile = join(f.dir, "metrics.prom");
  f.settings.metrics_file = metricsFile;
  const dry = await f.run({ dryRun: true });
  assert.equal(dry.dry_run, true);
  assert.deepEqual(dry.downloaded, ["a.csv"]);
  assert.equal(dry.skipped_ingested, 1);
  assert.equal(dry.failed.length, 1);
  assert.equal(dry.bytes, "content of a.csv".length, "the listed size of what would be downloaded");
  assert.deepEqual(f.sharepoint.downloads, []);
  assert.deepEqual((await Array.fromAsync(Deno.readDir(f.dir))).map((e) => e.name), []);
  assert.deepEqual(f.metrics.snapshot(), {});
  await assert.rejects(Deno.stat(metricsFile), Deno.errors.NotFound);
});

Deno.test("SyncJob records metrics and leaves the metrics file to the scheduler", async () => {
  const dir = await Deno.makeTempDir();
  const metricsFile = join(dir, "ingest.prom");
  try {
    await using f = await fixture(
      [{ name: "a.csv", content: "abc", lastModified: minutesAgo(5) }],
      {
        metrics_file: metricsFile,
      },
    );
    await f.run();
    assert.equal(f.metrics.value("syncjob.download.success.count"), 1);
    assert.equal(f.metrics.value("syncjob.bytes.count"), 3);
    f.db.error = new DbServiceError("Cannot query DB service http://db/x: HTTP 500");
    await assert.rejects(f.run(), DbServiceError);
    assert.equal(f.metrics.value("syncjob.run.count"), 2);
    assert.equal(f.metrics.value("syncjob.run.failure.count"), 1);
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SyncJob refuses a staging_dir equal to ingestion_dir before any network call", async () => {
  await using f = await fixture([{ name: "a.csv", lastModified: minutesAgo(5) }]);
  const job = new SyncJob({
    settings: { ...f.settings, staging_dir: f.settings.ingestion_dir },
    sharepoint: f.sharepoint,
    db: f.db,
    clock: f.clock,
    metrics: f.metrics,
    defaultLookbackMs: LOOKBACK_MS,
  });
  await assert.rejects(job.run({ reference: REFERENCE, trigger: "schedule" }), ConfigError);
  assert.deepEqual(f.sharepoint.calls, []);
});

Deno.test("SyncJob keeps files placed before an abort and counts them in the metrics", async () => {
  await using f = await fixture(
    Array.from({ length: 3 }, (_, i) => ({ name: `f${i}.csv`, lastModified: minutesAgo(5) })),
    { download_concurrency: 1 },
  );
  const controller = new AbortController();
  f.sharepoint.downloadDelayMs = 50;
  f.sharepoint.beforeDownload = (file) => {
    if (file.name === "f1.csv") controller.abort();
    return Promise.resolve();
  };
  await assert.rejects(f.run({ signal: controller.signal }), AbortedError);
  assert.deepEqual(f.sharepoint.downloads, ["f0.csv", "f1.csv"]);
  assert.deepEqual(await f.incoming(), ["f0.csv"]);
  assert.deepEqual(await f.staged(), []);
  assert.equal(f.metrics.value("syncjob.download.success.count"), 1);
  assert.equal(f.metrics.value("syncjob.run.failure.count"), 1);
});

Deno.test("SyncJob: a run whose only failures are names the host cannot store exits 3, not 1", async () => {
  await using f = await fixture([{ name: "nul.txt", lastModified: minutesAgo(5) }], {}, {
    os: "windows",
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, []);
  assert.deepEqual(result.failed, [{
    name: "nul.txt",
    reason: 'Cannot write this name: the name uses the Windows device name "nul"',
    refused_name: true,
  }]);
  assert.equal(exitCodeForResult(result), ExitCode.Partial);
  assert.deepEqual(f.sharepoint.downloads, []);
});
