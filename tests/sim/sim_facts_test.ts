/**
 * Simulator facts behind "what counts as new" (real-sharepoint-quirks.md §1, §7, §9): moves and
 * copies keep both dates, an upload may be back-dated, a column edit changes eTag and Modified but
 * not cTag or content, and a placeholder is filled in later under the same id.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";
import { defaultDriveId, getToken, graphJson } from "./helpers.ts";

const OLD = new Date("2024-03-01T10:00:00Z");

async function itemAt(sim: Simulator, path: string) {
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  return await graphJson(sim, `/drives/${driveId}/root:/${path}`, token);
}

function facts(item: Record<string, unknown>) {
  const file = item.file as { hashes: { quickXorHash?: string } };
  return {
    id: item.id,
    created: item.createdDateTime,
    modified: item.lastModifiedDateTime,
    eTag: item.eTag,
    cTag: item.cTag,
    size: item.size,
    hash: file.hashes.quickXorHash,
  };
}

Deno.test("sim: a native move keeps both dates and the cTag; the eTag changes", async () => {
  await using sim = await startSimulator({
    files: [{ path: "Archive/a.csv", size: 10, lastModified: OLD, created: OLD }],
  });
  const before = facts(await itemAt(sim, "Archive/a.csv"));
  sim.moveItem("Archive/a.csv", "Reports/a.csv");
  const after = facts(await itemAt(sim, "Reports/a.csv"));
  assert.equal(after.id, before.id);
  assert.equal(after.created, "2024-03-01T10:00:00Z");
  assert.equal(after.modified, "2024-03-01T10:00:00Z");
  assert.equal(after.cTag, before.cTag);
  assert.notEqual(after.eTag, before.eTag);
});

Deno.test("sim: a copy is a new item with the same content and both dates kept", async () => {
  await using sim = await startSimulator({
    files: [{ path: "Archive/a.csv", size: 10, lastModified: OLD, created: OLD }],
  });
  const source = facts(await itemAt(sim, "Archive/a.csv"));
  const id = sim.copyItem("Archive/a.csv", "Reports/copy.csv");
  const copy = facts(await itemAt(sim, "Reports/copy.csv"));
  assert.equal(copy.id, id);
  assert.notEqual(copy.id, source.id);
  assert.deepEqual([copy.created, copy.modified], [source.created, source.modified]);
  assert.deepEqual([copy.size, copy.hash], [source.size, source.hash]);
  assert.throws(() => sim.copyItem("Archive/a.csv", "Reports/copy.csv"), /name is taken/);
  assert.throws(() => sim.copyItem("Archive", "Reports/x"), /not a file/);
});

Deno.test("sim: an upload can carry back-dated file system times", async () => {
  await using sim = await startSimulator({ files: [] });
  sim.addFile({ path: "Reports/synced.csv", size: 3, lastModified: OLD });
  const synced = facts(await itemAt(sim, "Reports/synced.csv"));
  assert.equal(synced.modified, "2024-03-01T10:00:00Z");
  const item = await itemAt(sim, "Reports/synced.csv");
  const fsInfo = item.fileSystemInfo as Record<string, string>;
  assert.equal(fsInfo.lastModifiedDateTime, "2024-03-01T10:00:00Z");
});

Deno.test("sim: a column edit changes eTag and Modified, not cTag, size or content", async () => {
  await using sim = await startSimulator({
    files: [{ path: "Reports/a.csv", size: 10, lastModified: OLD, created: OLD }],
  });
  const before = facts(await itemAt(sim, "Reports/a.csv"));
  sim.editMetadata("Reports/a.csv");
  const after = facts(await itemAt(sim, "Reports/a.csv"));
  assert.notEqual(after.eTag, before.eTag);
  assert.notEqual(after.modified, before.modified);
  assert.deepEqual([after.cTag, after.size, after.hash], [before.cTag, before.size, before.hash]);
  assert.equal(after.created, before.created);
});

Deno.test("sim: a 0-byte placeholder filled in later keeps its id and gets a new cTag", async () => {
  await using sim = await startSimulator({ files: [{ path: "Reports/scan.pdf", size: 0 }] });
  const empty = facts(await itemAt(sim, "Reports/scan.pdf"));
  sim.addFile({ path: "Reports/scan.pdf", size: 500 });
  const filled = facts(await itemAt(sim, "Reports/scan.pdf"));
  assert.equal(filled.id, empty.id);
  assert.equal(filled.size, 500);
  assert.notEqual(filled.cTag, empty.cTag);
  assert.notEqual(filled.eTag, empty.eTag);
});
