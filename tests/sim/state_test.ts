import assert from "node:assert/strict";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import { CHUNK_BYTES, hashSource, readAll, readRange } from "../../src/sim/content.ts";
import { decodeSkipToken, encodeSkipToken, pageOf, parseTop } from "../../src/sim/paging.ts";
import { SeededRandom } from "../../src/sim/prng.ts";
import { mimeTypeOf } from "../../src/sim/names.ts";
import { fileHash, SimState } from "../../src/sim/state.ts";
import type { SimLibrary } from "../../src/sim/types.ts";

function newState(
  libraries: SimLibrary[] = [{
    name: "Documents",
    urlSegment: "Shared Documents",
    isDefault: true,
  }],
) {
  return new SimState({
    hostname: "contoso.sharepoint.com",
    sitePath: "/sites/Finance",
    libraries,
    now: () => 1_700_000_000_500,
    seed: 9,
  });
}

Deno.test("generated content is deterministic, random-access and hashed in chunks", async () => {
  const source = { kind: "generated" as const, seed: 5, size: 3 * CHUNK_BYTES + 17 };
  const whole = await readAll(source);
  assert.equal(whole.length, source.size);
  assert.deepEqual(await readAll({ ...source }), whole);
  assert.notDeepEqual(await readAll({ ...source, seed: 6 }), whole);
  const start = CHUNK_BYTES - 3;
  const parts: Uint8Array[] = [];
  for await (const chunk of readRange(source, start, start + CHUNK_BYTES + 10)) parts.push(chunk);
  assert.deepEqual(parts.map((p) => p.length), [3, CHUNK_BYTES, 7]);
  assert.deepEqual(
    new Uint8Array(parts.flatMap((p) => [...p])),
    whole.subarray(start, start + CHUNK_BYTES + 10),
  );
  assert.equal(hashSource(source), quickXorHash(whole));
  const tiny = { kind: "generated" as const, seed: 5, size: 5 };
  assert.deepEqual(await readAll(tiny), whole.subarray(0, 5));
});

Deno.test("SimState resolves paths case-insensitively and keeps ids when replacing", () => {
  const state = newState();
  const id = state.addFile({ path: "Reports/Q1.csv", content: new Uint8Array([1]) });
  const drive = state.defaultDrive;
  assert.equal(state.resolve(drive.root, ["reports", "q1.CSV"])?.id, id);
  assert.equal(state.addFile({ path: "REPORTS/q1.csv", content: new Uint8Array([1, 2]) }), id);
  const item = state.item(drive.id, id)!;
  assert.equal(item.version, 2);
  assert.equal(item.name, "Q1.csv", "the original name is kept");
  assert.equal(state.item(drive.id, id.toLowerCase()), undefined, "ids are case-sensitive");
  assert.deepEqual(state.pathOf(item), ["Reports", "Q1.csv"]);
  assert.throws(() => state.addFile({ path: "Reports", size: 1 }), /a folder has that name/);
  assert.throws(() => state.addFolder("Reports/Q1.csv/x"), /a file has that name/);
});

Deno.test("SimState stores times in whole seconds and hashes small files on first use", () => {
  const state = newState();
  const id = state.addFile({
    path: "a.txt",
    content: new TextEncoder().encode("hello world"),
    lastModified: new Date("2026-01-01T00:00:00.999Z"),
  });
  const item = state.item(state.defaultDrive.id, id)!;
  assert.equal(item.modified, Date.parse("2026-01-01T00:00:00Z"));
  assert.equal(item.created, item.modified);
  assert.equal(item.file!.hash, undefined);
  assert.equal(fileHash(item.file!), "aCgDG9jwBhDc4Q1yawMZAAAAAAA=");
  const big = state.item(
    state.defaultDrive.id,
    state.addFile({ path: "big.bin", size: 2 * 1024 * 1024 }),
  )!;
  assert.match(big.file!.hash ?? "", /^[A-Za-z0-9+/]{27}=$/, "big files are hashed when added");
  const none = state.item(
    state.defaultDrive.id,
    state.addFile({ path: "n.bin", size: 3, noHash: true }),
  )!;
  assert.equal(fileHash(none.file!), undefined);
});

Deno.test("SimState picks libraries by URL segment and names the ones it has", () => {
  const state = newState([
    { name: "Documents", urlSegment: "Shared Documents", isDefault: true },
    { name: "Archiv", urlSegment: "Archive" },
  ]);
  const id = state.addFile({ path: "x.csv", library: "archive", size: 1 });
  assert.equal(state.item(state.drives[1]!.id, id)?.name, "x.csv");
  assert.throws(
    () => state.addFile({ path: "x.csv", library: "Nope", size: 1 }),
    /"Shared Documents", "Archive"/,
  );
});

Deno.test("SimState lists folders first, then files by case-folded name", () => {
  const state = newState();
  for (const path of ["F/b.csv", "F/A.csv", "F/zeta/x.csv", "F/c.csv", "F/alpha/y.csv"]) {
    state.addFile({ path, size: 1 });
  }
  const folder = state.resolve(state.defaultDrive.root, ["F"])!;
  assert.deepEqual(state.children(folder).map((i) => i.name), [
    "alpha",
    "zeta",
    "A.csv",
    "b.csv",
    "c.csv",
  ]);
  assert.equal(state.sizeOf(folder), 5);
});

Deno.test("mimeTypeOf() maps common extensions", () => {
  assert.equal(mimeTypeOf("a.CSV"), "text/csv");
  assert.equal(
    mimeTypeOf("b.xlsx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  );
  assert.equal(mimeTypeOf("noext"), "application/octet-stream");
});

Deno.test("skip tokens round-trip the sort key and reject foreign text", () => {
  const state = newState();
  const id = state.addFile({ path: "Übersicht #1.csv", size: 1 });
  const item = state.item(state.defaultDrive.id, id)!;
  const token = encodeSkipToken(item, 200);
  assert.match(token, /^[\w-]+$/);
  assert.deepEqual(decodeSkipToken(token), { folder: false, key: "übersicht #1.csv" });
  assert.equal(decodeSkipToken("bogus"), undefined);
  assert.equal(decodeSkipToken(btoa("Paged=TRUE")), undefined);
  assert.equal(parseTop(null), undefined);
  assert.equal(parseTop("5"), 5);
  assert.equal(parseTop("2000"), 1000);
  assert.ok(Number.isNaN(parseTop("0")!));
  assert.ok(Number.isNaN(parseTop("-1")!));
  const page = pageOf(state.children(state.defaultDrive.root), 10, decodeSkipToken(token));
  assert.deepEqual(page, { items: [], start: 1, more: false });
});

Deno.test("SeededRandom produces the id formats SharePoint uses, reproducibly", () => {
  const a = new SeededRandom(7);
  const b = new SeededRandom(7);
  const ids = [a.itemId(), a.driveId(), a.guid()];
  assert.deepEqual([b.itemId(), b.driveId(), b.guid()], ids);
  assert.match(ids[0]!, /^01[A-Z2-7]{32}$/);
  assert.match(ids[1]!, /^b![A-Za-z0-9_-]{64}$/);
  assert.match(ids[2]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
