import assert from "node:assert/strict";
import type { RemoteFile } from "../../src/graph/sharepoint_client.ts";
import { ledgerSchema } from "../../src/state/state_wire.ts";
import { contentIdentity, ledgerRetentionMs, PlacedLedger } from "../../src/sync/placed_ledger.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const DAY = 86_400_000;

function file(id: string, extra: Partial<RemoteFile> = {}): RemoteFile {
  return {
    id,
    driveId: "d",
    name: `${id}.csv`,
    size: 100,
    lastModified: new Date(NOW),
    created: new Date(NOW),
    quickXorHash: `hash-${id}`,
    downloadUrl: undefined,
    eTag: `"{${id}},1"`,
    cTag: `"c:{${id}},1"`,
    ...extra,
  };
}

Deno.test("PlacedLedger matches the same item with the same content identity only", () => {
  const ledger = PlacedLedger.from(undefined).with([{ file: file("a"), at: NOW }], 0);
  const cases: [string, RemoteFile, boolean][] = [
    ["the same version", file("a"), true],
    ["a column edit (new eTag)", file("a", { eTag: `"{a},2"` }), true],
    ["delta without cTag", file("a", { cTag: undefined }), true],
    ["children without hash", file("a", { quickXorHash: undefined }), true],
    ["new content", file("a", { cTag: `"c:{a},2"`, quickXorHash: "other" }), false],
    ["same cTag but another hash", file("a", { quickXorHash: "other" }), false],
    ["same hash, other size", file("a", { cTag: undefined, size: 101 }), false],
    ["no identity at all", file("a", { cTag: undefined, quickXorHash: undefined }), false],
    ["renamed (a name the watcher never saw)", file("a", { name: "a-renamed.csv" }), false],
    ["below a renamed folder", file("a", { name: "2026-final/a.csv" }), false],
    [
      "another item with the same content",
      file("b", { cTag: `"c:{a},1"`, quickXorHash: "hash-a" }),
      false,
    ],
  ];
  for (const [name, candidate, expected] of cases) {
    assert.equal(ledger.matches(candidate), expected, name);
  }
});

Deno.test("PlacedLedger round-trips through the state, replaces entries and drops old ones", () => {
  let ledger = PlacedLedger.from(undefined);
  ledger = ledger.with([{ file: file("a"), at: NOW - 40 * DAY }, { file: file("b"), at: NOW }], 0);
  const section = ledger.toState();
  assert.equal(ledgerSchema.safeParse(section).success, true);
  const read = PlacedLedger.from(section);
  assert.equal(read.size, 2);
  assert.equal(read.matches(file("a")), true);
  const pruned = read.with(
    [{ file: file("b", { cTag: `"c:{b},2"`, quickXorHash: "new" }), at: NOW }],
    NOW - ledgerRetentionMs(168),
  );
  assert.equal(pruned.size, 1);
  assert.equal(pruned.matches(file("a")), false);
  assert.equal(pruned.matches(file("b")), false);
  assert.equal(pruned.matches(file("b", { cTag: `"c:{b},2"`, quickXorHash: "new" })), true);
  assert.deepEqual(pruned.summary(), { entries: 1, oldest: NOW, stateBytes: 28 });
});

Deno.test("PlacedLedger: a corrupt section reads as empty, never throws", () => {
  assert.equal(PlacedLedger.from({ entries: "AAAA" }).size, 0);
  assert.equal(PlacedLedger.from({ entries: "A" }).size, 0);
});

Deno.test("PlacedLedger keeps 100,000 entries in 20 bytes each and finds every one", () => {
  const placed = Array.from({ length: 100_000 }, (_, i) => ({
    file: file(`item-${i}`),
    at: NOW - (i % 30) * DAY,
  }));
  const ledger = PlacedLedger.from(undefined).with(placed, 0);
  const section = ledger.toState();
  assert.equal(section.entries.length, Math.ceil((100_000 * 20) / 3) * 4);
  const read = PlacedLedger.from(section);
  assert.equal(read.size, 100_000);
  for (let i = 0; i < 100_000; i += 997) assert.equal(read.matches(file(`item-${i}`)), true);
  assert.equal(read.matches(file("item-x")), false);
});

Deno.test("ledgerRetentionMs() is at least 30 days and at least max_catch_up_hours", () => {
  assert.equal(ledgerRetentionMs(168), 30 * DAY);
  assert.equal(ledgerRetentionMs(24 * 60), 60 * DAY);
  assert.deepEqual(contentIdentity({ cTag: undefined, quickXorHash: undefined, size: 0 }), [0, 0]);
});
