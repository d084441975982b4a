import assert from "node:assert/strict";
import {
  etaMs,
  fitName,
  formatClock,
  type InFlightFile,
  rateOf,
  renderSyncFrame,
  type SyncView,
} from "../../src/commands/sync_frame.ts";

function view(overrides: Partial<SyncView> = {}): SyncView {
  return {
    phase: "downloading",
    elapsedMs: 12_000,
    listed: 0,
    files: 3000,
    bytes: 196_600_000,
    done: 1200,
    failed: 0,
    doneBytes: 80_500_000,
    rate: 12_300_000,
    inFlight: [],
    ...overrides,
  };
}

function file(name: string, size: number, bytes: number, placing = false): InFlightFile {
  return { name, size, bytes, placing };
}

const HEADER_CASES: [string, Partial<SyncView>, string][] = [
  ["before the first step", { phase: "starting", elapsedMs: 400 }, "Starting… · 0:00"],
  ["authenticating", { phase: "authenticating", elapsedMs: 3_000 }, "Authenticating… · 0:03"],
  ["asking the DB service", { phase: "asking-db" }, "Asking the DB service… · 0:12"],
  ["listing with items so far", { phase: "listing", listed: 1234 }, "Listing: 1234 items so far"],
  [
    "downloading with rate and ETA",
    {},
    "Downloading · 1200/3000 files · 80.5 MB of 196.6 MB · 12.3 MB/s · ETA 0:09 · 0:12",
  ],
  [
    "no rate yet: no rate, no ETA",
    { rate: undefined },
    "Downloading · 1200/3000 files · 80.5 MB of 196.6 MB · 0:12",
  ],
  [
    "failed so far",
    { failed: 2, rate: 1_000_000, doneBytes: 196_000_000 },
    "Downloading · 1200/3000 files · 196.0 MB of 196.6 MB · 1.0 MB/s · ETA 0:01 · 0:12 · 2 failed",
  ],
  [
    "placing at the end: no ETA",
    { phase: "placing", done: 3000, doneBytes: 196_600_000 },
    "Placing · 3000/3000 files · 196.6 MB of 196.6 MB · 12.3 MB/s · 0:12",
  ],
];

for (const [name, overrides, expected] of HEADER_CASES) {
  Deno.test(`renderSyncFrame() header: ${name}`, () => {
    assert.deepEqual(renderSyncFrame(view(overrides), { columns: 120, color: false }), [expected]);
  });
}

Deno.test("renderSyncFrame() shows one line per file in flight with its percentage or state", () => {
  const lines = renderSyncFrame(
    view({
      inFlight: [
        file("report_0001.csv", 1000, 450),
        file("report_0002.csv", 1000, 1000, true),
        file("empty.csv", 0, 0),
        { ...file("broken.csv", 1000, 0), retrying: true },
      ],
    }),
    { columns: 40, color: false },
  );
  assert.deepEqual(lines.slice(1), [
    "  report_0001.csv                    45%",
    "  report_0002.csv                placing",
    "  empty.csv                          0 B",
    "  broken.csv                    retrying",
  ]);
});

Deno.test("renderSyncFrame() cuts every line to the width and keeps a name's extension", () => {
  const long = "Quarterly financial statement for the northern region, final version 3.xlsx";
  for (const columns of [19, 30, 60, 79]) {
    const lines = renderSyncFrame(
      view({ failed: 7, inFlight: [file(long, 100, 50)] }),
      { columns, color: false },
    );
    for (const line of lines) assert.ok([...line].length <= columns, `${columns}: ${line}`);
    if (columns >= 30) assert.match(lines[1]!, /^ {2}Quarterly .*….* 3\.xlsx +50%$/);
  }
});

Deno.test("renderSyncFrame() lists at most maxFileLines lines of files and counts the rest", () => {
  const inFlight = Array.from({ length: 12 }, (_, i) => file(`f${i}.csv`, 10, 5));
  const lines = renderSyncFrame(view({ inFlight }), { columns: 60, color: false, maxFileLines: 4 });
  assert.equal(lines.length, 5);
  assert.equal(lines[4], "  … and 9 more");
});

Deno.test("renderSyncFrame() colours only when asked (NO_COLOR) and never lets a name's control characters through", () => {
  const v = view({ failed: 2, inFlight: [file("evil\x1b[2Jname.csv", 10, 5)] });
  const plain = renderSyncFrame(v, { columns: 100, color: false });
  assert.ok(plain.every((line) => !line.includes("\x1b")), JSON.stringify(plain));
  assert.match(plain[1]!, /evil\?\[2Jname\.csv/);
  const colored = renderSyncFrame(v, { columns: 100, color: true });
  assert.ok(colored[0]!.endsWith("\x1b[31m2 failed\x1b[0m"), JSON.stringify(colored[0]));
  assert.ok(!colored[1]!.includes("\x1b[2J"));
});

const RATE_CASES: [string, { at: number; bytes: number }[], number | undefined][] = [
  ["no samples", [], undefined],
  ["under half a second of history", [{ at: 0, bytes: 0 }, { at: 400, bytes: 9 }], undefined],
  [
    "bytes over the span",
    [{ at: 0, bytes: 0 }, { at: 500, bytes: 1 }, { at: 2000, bytes: 4000 }],
    2000,
  ],
  ["never negative", [{ at: 0, bytes: 10 }, { at: 1000, bytes: 0 }], 0],
];
for (const [name, samples, expected] of RATE_CASES) {
  Deno.test(`rateOf(): ${name}`, () => assert.equal(rateOf(samples), expected));
}

Deno.test("etaMs() and formatClock()", () => {
  assert.equal(etaMs(1000, undefined), undefined);
  assert.equal(etaMs(1000, 0), undefined);
  assert.equal(etaMs(1000, 500), 2000);
  assert.equal(etaMs(-5, 500), 0);
  const cases: [number, string][] = [[0, "0:00"], [9_400, "0:09"], [245_000, "4:05"], [
    3_723_000,
    "1:02:03",
  ]];
  for (const [ms, text] of cases) assert.equal(formatClock(ms), text);
});

Deno.test("fitName() keeps short names and cuts the middle of long ones", () => {
  assert.equal(fitName("a.csv", 10), "a.csv");
  assert.equal(fitName("abcdefghijklmnop.csv", 12), "abcdef…p.csv");
  assert.equal([...fitName("x".repeat(100) + ".pdf", 30)].length, 30);
  assert.equal(fitName("abcdefghij", 5), "abcd…");
});
