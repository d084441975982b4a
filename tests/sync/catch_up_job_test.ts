/**
 * SyncJob catches up from the last successful run: against the simulator over loopback HTTP on an
 * injected clock, and with fakes for failed runs, dry runs and the cap.
 */
import assert from "node:assert/strict";
import { dbClientFromSettings } from "../../src/db/http_db_client.ts";
import { DbServiceError, GraphError } from "../../src/errors.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { Metrics } from "../../src/metrics.ts";
import type { JobState } from "../../src/state/state_wire.ts";
import { SyncJob } from "../../src/sync_job.ts";
import { OffsetClock } from "../helpers/clocks.ts";
import { fixture, REFERENCE } from "./fixture.ts";
import { simFixture } from "./sim_fixture.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";

const HOUR = 3_600_000;
const MIN = 60_000;
const T0 = new Date("2026-03-09T09:00:00Z");
const at = (offsetMs: number) => new Date(T0.getTime() + offsetMs);
const file = (name: string, offsetMs: number) => ({
  path: `Reports/${name}`,
  lastModified: at(offsetMs),
});

async function readState(path: string): Promise<JobState> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("sim: two runs 3 h apart on an injected clock; the second catches up from the first", async () => {
  const clock = new OffsetClock(T0);
  await using f = await simFixture(
    { files: [file("before.csv", -30 * MIN)], now: () => clock.now() },
    { interval_minutes: 60, schedule: { kind: "interval", minutes: 60 } },
  );
  const settings = f.settings;
  const metrics = new Metrics();
  const job = new SyncJob({
    settings,
    sharepoint: new GraphSharePointClient({ settings, clock, backoff: { baseMs: 5, maxMs: 20 } }),
    db: dbClientFromSettings(settings),
    clock,
    metrics,
    defaultLookbackMs: 2 * HOUR,
  });
  const run = (reference: Date) =>
    job.run({ reference, trigger: "schedule", lookbackMs: 2 * HOUR, explicitWindow: false });

  const first = await run(T0);
  assert.deepEqual(first.downloaded, ["before.csv"]);
  assert.equal(first.window?.reason, "first_run");
  assert.equal((await readState(settings.state_file)).last_success?.until, T0.toISOString());

  // Down for three hours. Meanwhile: a file modified 2.5 h before the next run; one indexed late
  // with a time inside the overlap; one older than the last success by more than the overlap,
  // uploaded back-dated after the first run: delta reports it, so it is an arrival (#21).
  clock.advance(3 * HOUR);
  f.sim.addFile(file("between.csv", 30 * MIN));
  f.sim.addFile(file("late.csv", -40 * MIN));
  f.sim.addFile(file("stale.csv", -90 * MIN));
  f.sim.clearRequestLog();
  const second = await run(at(3 * HOUR));

  assert.deepEqual(second.downloaded.sort(), ["between.csv", "late.csv", "stale.csv"]);
  assert.equal(second.arrived, 1);
  assert.deepEqual(await f.incoming(), ["before.csv", "between.csv", "late.csv", "stale.csv"]);
  assert.equal(second.since, at(-1 * HOUR).toISOString());
  assert.equal(second.until, at(3 * HOUR).toISOString());
  assert.equal(second.window?.reason, "catch_up");
  assert.equal(second.window?.gap_hours, 3);
  assert.equal(second.window?.catch_up_seconds, 2 * 3600);
  assert.equal(second.window?.description, "catching up after a gap of 3 h: window of 4 h");

  const dbRequests = f.sim.requestLog.filter((e) => e.server === "db");
  assert.equal(dbRequests.length, 1);
  const query = new URL(dbRequests[0]!.url, "http://db").searchParams;
  assert.equal(new Date(query.get("since")!).toISOString(), at(-1 * HOUR).toISOString());
  assert.equal(new Date(query.get("until")!).toISOString(), at(3 * HOUR).toISOString());

  const state = await readState(settings.state_file);
  assert.equal(state.last_success?.until, at(3 * HOUR).toISOString());
  assert.equal(state.uncovered, undefined);
  const text = metrics.toPrometheus();
  assert.match(text, /^ingest_syncjob_window_seconds 14400$/m);
  assert.match(text, /^ingest_syncjob_window_catch_up_seconds 7200$/m);
  assert.match(text, /^ingest_syncjob_window_gap_seconds 10800$/m);
  assert.match(text, /^ingest_syncjob_window_uncovered_seconds 0$/m);
});

Deno.test("SyncJob: a failed run (exit 1 or thrown) keeps the last success; the next run reaches back to it", async () => {
  await using f = await fixture([]);
  const reference = (h: number) => new Date(REFERENCE.getTime() + h * HOUR);
  await f.run({ reference: reference(0) });
  f.db.error = new DbServiceError("Cannot ask the DB service: 503");
  await assert.rejects(f.run({ reference: reference(1) }), DbServiceError);
  f.db.error = undefined;
  f.sharepoint.add({ name: "broken.csv", lastModified: reference(1.5) });
  const breaks = Array.from(
    { length: 10 },
    () => new GraphError("Cannot download: 500", { status: 500 }),
  );
  f.sharepoint.failDownload("broken.csv", ...breaks);
  const allFailed = await f.run({ reference: reference(2) });
  assert.equal(allFailed.failed.length, 1);
  assert.equal(allFailed.downloaded.length, 0);
  const state = await readState(f.settings.state_file);
  assert.equal(state.last_success?.until, REFERENCE.toISOString());
  const next = await f.run({ reference: reference(5) });
  assert.equal(next.since, reference(-1).toISOString());
  assert.equal(next.window?.reason, "catch_up");
  assert.equal(f.db.windows.at(-1)?.since.toISOString(), reference(-1).toISOString());
});

Deno.test("SyncJob: a dry run plans the catch-up window but records nothing", async () => {
  await using f = await fixture([]);
  await f.run({ reference: new Date(REFERENCE.getTime() - 10 * HOUR) });
  const before = await Deno.readTextFile(f.settings.state_file);
  const dry = await f.run({ dryRun: true });
  assert.equal(dry.window?.reason, "catch_up");
  assert.equal(dry.since, new Date(REFERENCE.getTime() - 11 * HOUR).toISOString());
  assert.equal(await Deno.readTextFile(f.settings.state_file), before);
});

Deno.test("SyncJob: a gap beyond max_catch_up_hours is reported with the command that covers it", async () => {
  await using f = await fixture([], { max_catch_up_hours: 24, config_path: "/etc/ingest.toml" });
  await f.run({ reference: new Date(REFERENCE.getTime() - 100 * HOUR) });
  const capped = await f.run();
  assert.equal(capped.window?.reason, "capped");
  assert.equal(capped.since, new Date(REFERENCE.getTime() - 24 * HOUR).toISOString());
  const gapStart = new Date(REFERENCE.getTime() - 101 * HOUR).toISOString();
  assert.deepEqual(capped.window?.uncovered, {
    since: gapStart,
    until: capped.since,
    command: `ingest --config /etc/ingest.toml trigger --since ${gapStart}`,
  });
  assert.equal(f.metrics.value("syncjob.window.uncovered.seconds"), 77 * 3600);
  assert.deepEqual((await readState(f.settings.state_file)).uncovered?.map((u) => u.since), [
    gapStart,
  ]);
  // The suggested trigger covers it.
  const covering = await f.run({
    reference: new Date(REFERENCE.getTime() + HOUR),
    since: new Date(gapStart),
  });
  assert.equal(covering.window?.reason, "explicit");
  assert.equal((await readState(f.settings.state_file)).uncovered, undefined);
  assert.equal(f.metrics.value("syncjob.window.uncovered.seconds"), 0);
});

Deno.test("SyncJob logs its window and why, and warns when the clock moved backwards", async () => {
  await using f = await fixture([]);
  await using logs = await recordLogs();
  await f.run({ reference: new Date(REFERENCE.getTime() + 5 * HOUR) });
  await f.run();
  await f.run({ reference: new Date(REFERENCE.getTime() + 3 * HOUR) });
  const lines = messages(logs).filter((m) => /^Sync started|clock moved/.test(m));
  assert.equal(lines.length, 4, lines.join("\n"));
  assert.match(lines[0]!, /: first run: default window of 2 h$/);
  assert.match(lines[1]!, /: default window of 2 h: the last success is recorded in the future$/);
  assert.match(
    lines[2]!,
    /^Cannot catch up from the last successful run: it ended at .*clock moved backwards/,
  );
  assert.match(lines[3]!, /: catching up after a gap of 3 h: window of 4 h$/);
});
