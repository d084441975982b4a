import assert from "node:assert/strict";
import { isPlainDriveItem } from "../../src/graph/plain_item.ts";
import { deltaPageSchema, driveItemSchema } from "../../src/graph/wire_types.ts";

const FIELDS = [
  "id",
  "name",
  "size",
  "eTag",
  "cTag",
  "webUrl",
  "createdDateTime",
  "lastModifiedDateTime",
  "file",
  "folder",
  "package",
  "root",
  "deleted",
  "parentReference",
  "@microsoft.graph.downloadUrl",
  "malware",
] as const;

const file = {
  id: "01A",
  name: "a.csv",
  size: 12,
  eTag: '"{E},1"',
  cTag: '"c:{E},1"',
  createdDateTime: "2026-12-01T10:00:00Z",
  lastModifiedDateTime: "2026-12-01T10:00:00Z",
  file: { mimeType: "text/csv", hashes: { quickXorHash: "AAAA" } },
  parentReference: { driveId: "b!x", id: "01P", path: "/drive/root:/Bench" },
  "@microsoft.graph.downloadUrl": "https://example.test/d?x=1",
  "@odata.etag": "unused",
};

const plain: [string, unknown][] = [
  ["a full file item", file],
  ["a folder", { id: "01F", name: "sub", folder: { childCount: 3 }, parentReference: {} }],
  ["the drive root", { id: "01R", root: {}, folder: {} }],
  ["a tombstone without name", { id: "01D", deleted: { state: "deleted" } }],
  ["a package", { id: "01N", name: "nb", package: { type: "oneNote" } }],
  ["a flagged file", { ...file, malware: { description: "Eicar" } }],
  ["a file without hashes", { ...file, file: {} }],
  ["only an id", { id: "x" }],
];

const odd: [string, unknown][] = [
  ["no id", { name: "a" }],
  ["an empty id", { id: "" }],
  ["a null name", { ...file, name: null }],
  ["a null size", { ...file, size: null }],
  ["a size as text", { ...file, size: "12" }],
  ["a file facet that is an array", { ...file, file: [] }],
  ["hashes of the wrong type", { ...file, file: { hashes: { quickXorHash: 5 } } }],
  ["a null parentReference id", { ...file, parentReference: { id: null } }],
  ["a malware description of null", { ...file, malware: { description: null } }],
  ["a folder childCount as text", { id: "f", folder: { childCount: "3" } }],
  ["a download URL of the wrong type", { ...file, "@microsoft.graph.downloadUrl": 1 }],
  ["not an object", "01A"],
  ["null", null],
];

Deno.test("a plain item is one the schema accepts with every declared field unchanged", () => {
  for (const [label, raw] of plain) {
    assert.equal(isPlainDriveItem(raw), true, label);
    const parsed = driveItemSchema.safeParse(raw);
    assert.ok(parsed.success, label);
    for (const field of FIELDS) {
      assert.deepEqual(
        (raw as Record<string, unknown>)[field],
        (parsed.data as Record<string, unknown>)[field],
        `${label}: ${field}`,
      );
    }
  }
});

Deno.test("an odd item takes the schema's path", () => {
  for (const [label, raw] of odd) assert.equal(isPlainDriveItem(raw), false, label);
});

Deno.test("a page parses to the same fields on either path", () => {
  const page = {
    value: [...plain.map(([, raw]) => raw), { ...file, id: "odd", size: null }],
    "@odata.nextLink": "https://graph.test/next",
  };
  const parsed = deltaPageSchema.parse(page);
  assert.equal(parsed.value.length, plain.length + 1);
  assert.equal(parsed.value[0], page.value[0], "a plain item is taken as it is, not copied");
  const last = parsed.value.at(-1)!;
  assert.equal(last.size, undefined, "null reads as absent, through the schema");
  assert.equal(last.name, "a.csv");
  assert.equal(parsed["@odata.nextLink"], "https://graph.test/next");
});
