import assert from "node:assert/strict";
import { DaemonLine, type DaemonView, renderDaemonLine } from "../../src/commands/daemon_line.ts";
import { completed, failed, skipped } from "../../src/schedule/run_outcome.ts";
import type { SyncResult } from "../../src/sync/sync_result.ts";
import { VtScreen } from "../helpers/vt_screen.ts";

const NOW = Date.parse("2026-11-30T14:05:48Z");
const formatTime = (date: Date) => date.toISOString().slice(11, 19);

function result(downloaded: number, failedCount: number): SyncResult {
  return {
    run_id: "r",
    trigger: "schedule",
    dry_run: false,
    since: "",
    until: "",
    listed: 0,
    in_window: 0,
    skipped_ingested: 0,
    skipped_pending: 0,
    skipped_filtered: 0,
    unchanged_content: 0,
    held_empty: 0,
    arrived: 0,
    downloaded: Array.from({ length: downloaded }, (_, i) => `f${i}`),
    failed: Array.from({ length: failedCount }, (_, i) => ({ name: `x${i}`, reason: "r" })),
    bytes: 0,
    duration_ms: 0,
    listing: "folder_delta",
    graph_requests: 1,
    graph_resource_units: 1,
    graph_download_requests: 0,
    skipped_verification: 0,
    skipped_malformed: 0,
    malware: 0,
  };
}

const ended = new Date("2026-11-30T14:05:43Z");
const CASES: [string, Partial<DaemonView>, string][] = [
  ["first wait", {}, "Next run 14:10:00 (in 4:12)"],
  ["not scheduling", { next: undefined }, "Not scheduling"],
  [
    "a run in progress",
    { runningSince: NOW - 42_000 },
    "Running since 14:05:06 (0:42)",
  ],
  [
    "after a completed run",
    { last: { outcome: completed(result(12, 1)), endedAt: ended } },
    "Next run 14:10:00 (in 4:12) · last run 14:05:43: 12 downloaded, 1 failed",
  ],
  [
    "after a skipped run",
    { last: { outcome: skipped("locked"), endedAt: ended } },
    "Next run 14:10:00 (in 4:12) · last run 14:05:43: skipped (locked)",
  ],
  [
    "after a failed run",
    {
      last: {
        outcome: failed(new Error("Cannot get token: 401 invalid_client")),
        endedAt: ended,
      },
    },
    "Next run 14:10:00 (in 4:12) · last run 14:05:43: failed: Cannot get token: 401 invalid_client",
  ],
];

for (const [name, overrides, expected] of CASES) {
  Deno.test(`renderDaemonLine(): ${name}`, () => {
    const view: DaemonView = {
      now: NOW,
      next: new Date("2026-11-30T14:10:00Z"),
      runningSince: undefined,
      last: undefined,
      ...overrides,
    };
    assert.deepEqual(renderDaemonLine(view, { columns: 200, color: false, formatTime }), [
      expected,
    ]);
    const narrow = renderDaemonLine(view, { columns: 30, color: true, formatTime });
    assert.ok([...narrow[0]!].length <= 30 && !narrow[0]!.includes("\x1b"), narrow[0]);
  });
}

Deno.test("DaemonLine counts down, shows a run in progress, then its outcome, with records above", () => {
  const screen = new VtScreen();
  let now = NOW;
  const source = {
    nextRun: new Date("2026-11-30T14:05:50Z") as Date | undefined,
    running: 0,
    lastRun: undefined as DaemonView["last"],
  };
  const ticks: (() => void)[] = [];
  const line = new DaemonLine({
    terminal: { write: (t) => screen.write(t), columns: () => 100, color: false },
    source,
    now: () => now,
    formatTime,
    ticker: (_ms, tick) => (ticks.push(tick), () => ticks.pop()),
  });
  line.block.start();
  assert.deepEqual(screen.text(), ["Next run 14:05:50 (in 0:02)"]);
  now += 2_000;
  source.running = 1;
  source.nextRun = new Date("2026-11-30T14:10:50Z");
  ticks[0]!();
  assert.deepEqual(screen.text(), ["Running since 14:05:50 (0:00)"]);
  line.block.above(() => screen.write("record\n"));
  now += 3_000;
  source.running = 0;
  source.lastRun = { outcome: completed(result(2, 0)), endedAt: new Date(now) };
  ticks[0]!();
  assert.deepEqual(screen.text(), [
    "record",
    "Next run 14:10:50 (in 4:57) · last run 14:05:53: 2 downloaded, 0 failed",
  ]);
  line.block.close();
  assert.deepEqual(screen.text(), ["record"]);
});
