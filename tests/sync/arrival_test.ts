import assert from "node:assert/strict";
import type { RemoteFile } from "../../src/graph/sharepoint_client.ts";
import {
  arrivalTime,
  classifyFile,
  type FileVerdict,
  type Reported,
  type RuleContext,
} from "../../src/sync/arrival.ts";
import { FileFilter } from "../../src/sync/filters.ts";
import { PlacedLedger } from "../../src/sync/placed_ledger.ts";
import { selectCandidates } from "../../src/sync/select.ts";

const MIN = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse("2026-12-07T12:00:00Z");
const WINDOW = { since: new Date(NOW - 120 * MIN), until: new Date(NOW) };

function file(name: string, modifiedAgo: number, extra: Partial<RemoteFile> = {}): RemoteFile {
  const lastModified = new Date(NOW - modifiedAgo);
  return {
    id: `id-${name}`,
    driveId: "d",
    name,
    size: 10,
    lastModified,
    created: lastModified,
    quickXorHash: `h-${name}`,
    downloadUrl: undefined,
    eTag: `"e-${name},1"`,
    cTag: `"c-${name},1"`,
    ...extra,
  };
}

const placed = PlacedLedger.from(undefined).with(
  [{ file: file("placed.csv", 3 * DAY), at: NOW - 2 * DAY }],
  0,
);

function context(overrides: Partial<RuleContext> = {}): RuleContext {
  const filter = new FileFilter({ include: ["*"], exclude: ["*.tmp"], minAgeMs: 60_000 });
  return {
    window: WINDOW,
    now: NOW,
    filter: (f, now) => filter.verdict(f, now),
    ingested: new Set(["done.csv"]),
    placedBefore: (f) => placed.matches(f),
    emptyGraceMs: 10 * MIN,
    ...overrides,
  };
}

type Row = [string, RemoteFile, Reported | undefined, Partial<FileVerdict>];

const ROWS: Row[] = [
  // window on the later of created and modified
  ["modified in the window", file("a.csv", 30 * MIN), undefined, {
    kind: "candidate",
    reason: "in_window",
  }],
  ["modified and created before the window", file("old.csv", 3 * DAY), undefined, {
    kind: "before",
  }],
  [
    "synced in: modified two years ago, created in the window",
    file("synced.csv", 730 * DAY, { created: new Date(NOW - 20 * MIN) }),
    undefined,
    { kind: "candidate", reason: "in_window", arrival: NOW - 20 * MIN },
  ],
  ["at the window's start", file("edge.csv", 120 * MIN), undefined, { kind: "candidate" }],
  ["at the window's end: future", file("future.csv", 0), undefined, {
    kind: "held",
    reason: "future",
  }],
  // arrivals reported by an incremental delta page
  ["native move in: both dates old, reported", file("moved.csv", 3 * DAY), {
    firstSeen: NOW - 5 * MIN,
  }, {
    kind: "candidate",
    reason: "arrived",
    arrival: NOW - 5 * MIN,
  }],
  ["reported, first seen now: min age counts from now", file("moved2.csv", 3 * DAY), {}, {
    kind: "held",
    reason: "min_age",
    arrival: NOW,
  }],
  ["reported with dates in the window: arrival is its date", file("b.csv", 30 * MIN), {}, {
    kind: "candidate",
    reason: "in_window",
    arrival: NOW - 30 * MIN,
  }],
  ["reported but excluded", file("x.tmp", 3 * DAY), { firstSeen: NOW - 5 * MIN }, {
    kind: "filtered",
    verdict: "excluded",
  }],
  ["reported but ingested by name", file("done.csv", 3 * DAY), { firstSeen: NOW - 5 * MIN }, {
    kind: "ingested",
  }],
  // min age from the arrival, not from a back-dated modification
  ["young by its date", file("young.csv", 30_000), undefined, { kind: "held", reason: "min_age" }],
  // the ledger
  [
    "a column edit of a placed file: new eTag and Modified, same cTag",
    file("placed.csv", 5 * MIN, { eTag: `"e-placed.csv,2"` }),
    {},
    { kind: "unchanged_content" },
  ],
  [
    "a content edit of a placed file",
    file("placed.csv", 5 * MIN, { cTag: `"c-placed.csv,2"`, quickXorHash: "other" }),
    {},
    { kind: "candidate", reason: "in_window" },
  ],
  [
    "a column edit seen by delta (no cTag): the hash and size match",
    file("placed.csv", 5 * MIN, { cTag: undefined }),
    {},
    { kind: "unchanged_content" },
  ],
  // empty placeholders
  ["empty, inside the grace", file("ph.csv", 5 * MIN, { size: 0 }), undefined, {
    kind: "held",
    reason: "empty",
  }],
  ["empty past the grace: placed as empty", file("e.csv", 15 * MIN, { size: 0 }), undefined, {
    kind: "candidate",
  }],
  [
    "empty back-dated arrival: grace from first seen",
    file("ph2.csv", 3 * DAY, { size: 0 }),
    { firstSeen: NOW - 2 * MIN },
    { kind: "held", reason: "empty", arrival: NOW - 2 * MIN },
  ],
];

Deno.test("classifyFile(): window, arrival, ledger, placeholder and min age, as a table", () => {
  for (const [name, f, reported, expected] of ROWS) {
    const verdict = classifyFile(f, reported, context());
    for (const [key, value] of Object.entries(expected)) {
      assert.equal((verdict as Record<string, unknown>)[key], value, `${name}: ${key}`);
    }
  }
});

Deno.test("classifyFile(): without a ledger a column edit is an ordinary candidate", () => {
  const edited = file("placed.csv", 5 * MIN, { eTag: `"e-placed.csv,2"` });
  const verdict = classifyFile(edited, {}, context({ placedBefore: undefined }));
  assert.equal(verdict.kind, "candidate");
});

Deno.test("arrivalTime(): the later date, or first seen for a back-dated reported file", () => {
  const old = file("o.csv", 3 * DAY);
  assert.equal(arrivalTime(old, WINDOW, NOW, undefined), NOW - 3 * DAY);
  assert.equal(arrivalTime(old, WINDOW, NOW, {}), NOW);
  assert.equal(arrivalTime(old, WINDOW, NOW, { firstSeen: NOW - MIN }), NOW - MIN);
  const created = file("c.csv", 3 * DAY, { created: new Date(NOW - MIN) });
  assert.equal(arrivalTime(created, WINDOW, NOW, { firstSeen: NOW - 9 * MIN }), NOW - MIN);
});

Deno.test("selectCandidates() counts unchanged content, held empties and arrivals", async () => {
  const files = [
    file("a.csv", 30 * MIN),
    file("moved.csv", 3 * DAY),
    file("placed.csv", 5 * MIN, { eTag: `"e-placed.csv,2"` }),
    file("ph.csv", 5 * MIN, { size: 0 }),
    file("old.csv", 3 * DAY),
  ];
  const reported = new Set(["id-moved.csv", "id-placed.csv"]);
  const selection = await selectCandidates(
    (async function* () {
      yield* files;
    })(),
    {
      window: WINDOW,
      filter: new FileFilter({ include: ["*"], exclude: [], minAgeMs: 0 }),
      ingested: new Set(),
      now: NOW,
      runId: "r",
      reported: (f) => reported.has(f.id) ? { firstSeen: NOW - MIN } : undefined,
      placedBefore: (f) => placed.matches(f),
      emptyGraceMs: 10 * MIN,
    },
  );
  assert.deepEqual(selection.candidates.map((f) => f.name), ["a.csv", "moved.csv"]);
  assert.deepEqual(
    { ...selection.counts },
    {
      listed: 5,
      in_window: 4,
      skipped_filtered: 0,
      skipped_ingested: 0,
      unchanged_content: 1,
      held_empty: 1,
      arrived: 1,
    },
  );
  assert.equal(selection.reasons.get("id-moved.csv"), "arrived");
  assert.equal(selection.arrivals.get("id-moved.csv"), NOW - MIN);
  assert.deepEqual(selection.held.map((h) => [h.file.name, h.reason]), [["ph.csv", "empty"]]);
});
