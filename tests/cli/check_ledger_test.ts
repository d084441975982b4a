import assert from "node:assert/strict";
import { describeLedger } from "../../src/commands/check/check_ledger.ts";
import { describeState, formatAge } from "../../src/commands/check/check_state.ts";
import type { RemoteFile } from "../../src/graph/sharepoint_client.ts";
import { PlacedLedger } from "../../src/sync/placed_ledger.ts";

const NOW = Date.parse("2026-12-07T12:00:00Z");
const DAY = 86_400_000;

function file(id: string): RemoteFile {
  return {
    id,
    driveId: "d",
    name: `${id}.csv`,
    size: 1,
    lastModified: new Date(NOW),
    created: new Date(NOW),
    quickXorHash: `h${id}`,
    downloadUrl: undefined,
    eTag: undefined,
    cTag: undefined,
  };
}

Deno.test("check shows the ledger's size and age and the held placeholders", () => {
  const ledger = PlacedLedger.from(undefined).with(
    [{ file: file("a"), at: NOW - 3 * DAY }, { file: file("b"), at: NOW - DAY }],
    0,
  );
  const state = {
    version: 1 as const,
    key: "k",
    updated_at: new Date(NOW).toISOString(),
    ledger: ledger.toState(),
    retry: [{
      id: "p",
      name: "scan.pdf",
      reason: "empty" as const,
      last_modified: new Date(NOW - 5 * DAY).toISOString(),
      arrived_at: new Date(NOW - 4 * 60_000).toISOString(),
    }],
  };
  const parts = describeLedger(state, { max_catch_up_hours: 168 }, NOW, formatAge);
  assert.deepEqual(parts, [
    "ledger of 2 placed file(s), 56 B, oldest placed 3 d ago (kept 30 d)",
    "1 empty placeholder(s) held for their content (empty_file_grace_minutes): scan.pdf, arrived 4 min ago",
  ]);
  const line = describeState(state, { listing: "children", max_catch_up_hours: 168 }, NOW);
  assert.match(line, /ledger of 2 placed file\(s\)/);
  assert.match(line, /1 file\(s\) pending retry: scan\.pdf \(empty\)/);
  const empty = describeLedger(
    { version: 1, key: "k", updated_at: "" },
    {
      max_catch_up_hours: 24 * 60,
    },
    NOW,
    formatAge,
  );
  assert.deepEqual(empty, ["ledger empty (keeps placed files for 60 d)"]);
});
