/**
 * Pure decisions behind hostile SharePoint handling: paging loops (§11), malformed items (§12),
 * body signatures and HTML pages (§4, §22), and null fields in listings.
 */
import assert from "node:assert/strict";
import { checkBody, needsHead, signatureOf } from "../../src/graph/body_check.ts";
import { fileProblem } from "../../src/graph/item_problems.ts";
import { PagingGuard, PagingLoopError } from "../../src/graph/paging_guard.ts";
import type { Verification } from "../../src/graph/verification.ts";
import { toFolderChange } from "../../src/graph/drive_items.ts";
import { deltaPageSchema, type DriveItem } from "../../src/graph/wire_types.ts";

Deno.test("PagingGuard: a link followed twice is a loop", () => {
  const guard = new PagingGuard('the files of "/R"');
  guard.follow("https://g/next?1");
  guard.follow("https://g/next?2");
  assert.throws(
    () => guard.follow("https://g/next?1"),
    (e) =>
      e instanceof PagingLoopError &&
      e.message === 'Cannot list the files of "/R": the server keeps returning the same page ' +
          "(a next page link came back a second time)",
  );
  guard.reset();
  guard.follow("https://g/next?1");
});

Deno.test("PagingGuard: 20 pages in a row without a new id is a loop; one new id resets the count", () => {
  const guard = new PagingGuard("x");
  guard.page(["a", "b"], "u");
  for (let i = 0; i < 19; i++) guard.page(["a", "b"], "u");
  guard.page(["c"], "u");
  for (let i = 0; i < 19; i++) guard.page([], "u");
  assert.throws(() => guard.page(["c"], "u"), PagingLoopError);
});

Deno.test("PagingGuard: a long honest listing never trips", () => {
  const guard = new PagingGuard("x");
  for (let page = 0; page < 500; page++) {
    // Delta repeats the previous page's last item on the next page.
    const ids = Array.from({ length: 10 }, (_, i) => `id-${page * 9 + i}`);
    guard.page(ids, `u${page}`);
    guard.follow(`u${page + 1}`);
  }
});

const file = (extra: Partial<DriveItem>): DriveItem => ({
  id: "1",
  name: "a.csv",
  size: 3,
  lastModifiedDateTime: "2026-01-01T00:00:00Z",
  file: {},
  ...extra,
});

Deno.test("fileProblem names what a file item lacks", () => {
  const cases: [Partial<DriveItem>, string | undefined][] = [
    [{}, undefined],
    [{ size: undefined }, "it has no size"],
    [{ name: undefined }, "it has no name"],
    [{ name: "" }, "it has no name"],
    [{ name: undefined, size: undefined }, "it has no name, no size"],
    [{ size: -1 }, "its size -1 is not a byte count"],
    [{ lastModifiedDateTime: "yesterday" }, "it has no lastModifiedDateTime"],
  ];
  for (const [extra, expected] of cases) {
    assert.equal(fileProblem(file(extra)), expected, JSON.stringify(extra));
  }
});

Deno.test("a delta page with null fields in one item still parses", () => {
  const page = deltaPageSchema.parse({
    value: [
      { id: "1", name: null, size: null, eTag: null, file: {} },
      { id: "2", name: "ok.csv", size: 1, file: {}, malware: { description: "x" } },
    ],
    "@odata.deltaLink": "https://g/delta?token=1",
  });
  assert.equal(page.value[0]!.name, undefined);
  assert.equal(page.value[0]!.size, undefined);
  assert.deepEqual(page.value[1]!.malware, { description: "x" });
});

const rewritten: Verification & { kind: "rewritten" } = {
  kind: "rewritten",
  listedSize: 1,
  receivedSize: 2,
  listedHash: "a",
  receivedHash: "b",
};
const hashed: Verification = { kind: "verified", hashChecked: true };
const sized: Verification = { kind: "verified", hashChecked: false, why: "no hash listed" };
const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("checkBody: a table of bodies that are and are not the file", () => {
  const PK = bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0);
  const OLE = bytes(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1);
  const cases: [string, string | undefined, Verification, Uint8Array, RegExp | undefined][] = [
    ["Q4.xlsx", "application/octet-stream", rewritten, PK, undefined],
    ["Q4.xlsx", undefined, rewritten, OLE, /looks encrypted \(IRM or sensitivity label\)/],
    ["Q4.xlsx", undefined, rewritten, text("<html>"), /do not start like a Office Open XML/],
    ["a.docx", undefined, rewritten, text("PK"), /do not start like/],
    ["a.pdf", undefined, rewritten, text("%PDF-1.7"), undefined],
    ["a.pdf", undefined, rewritten, text("%PDX"), /PDF file \(first bytes 25 50 44 58\)/],
    ["a.pdf", undefined, rewritten, bytes(), /first bytes none: the body is empty/],
    ["p.JPG", undefined, rewritten, bytes(0xff, 0xd8, 0xff, 0xe1), undefined],
    ["p.jpeg", undefined, rewritten, bytes(0x89, 0x50), /JPEG/],
    ["page.html", "text/html", rewritten, text("<html>"), undefined],
    ["page.aspx", "text/html; charset=utf-8", sized, text("<html>"), undefined],
    ["report.pdf", "text/html; charset=utf-8", rewritten, text("%PDF-"), /HTML page/],
    ["data.csv", "TEXT/HTML", sized, text("a,b"), /HTML page/],
    // A hash-verified body is the file, whatever its Content-Type says.
    ["data.csv", "text/html", hashed, text("<html>"), undefined],
    // Only the rewritten types are checked by signature: the others are size/hash-verified.
    ["a.pdf", undefined, sized, text("not a pdf"), undefined],
    ["notes.txt", undefined, rewritten, text("anything"), undefined],
  ];
  for (const [name, contentType, verification, head, expected] of cases) {
    const problem = checkBody({
      name,
      contentType,
      verification: verification as Exclude<Verification, { kind: "mismatch" }>,
      head,
    });
    const label = `${name} ${contentType} ${verification.kind}`;
    if (expected === undefined) assert.equal(problem, undefined, label);
    else assert.match(problem ?? "", expected, label);
    // The download reads the head only when needsHead says so: without it, the answer is the same.
    const checked = verification as Exclude<Verification, { kind: "mismatch" }>;
    if (!needsHead(name, checked)) {
      const headless = checkBody({ name, contentType, verification: checked, head: bytes() });
      assert.equal(headless, problem, `${label}: decided without the head`);
    }
  }
  assert.equal(
    needsHead("Q4.xlsx", rewritten as Exclude<Verification, { kind: "mismatch" }>),
    true,
  );
  assert.equal(
    needsHead("notes.txt", rewritten as Exclude<Verification, { kind: "mismatch" }>),
    false,
  );
  assert.equal(needsHead("a.pdf", sized as Exclude<Verification, { kind: "mismatch" }>), false);
  assert.equal(signatureOf("xlsm")?.format, "Office Open XML (ZIP)");
  assert.equal(signatureOf("csv"), undefined);
});

Deno.test("PagingGuard: a cycle of identical pages longer than the window is caught by fingerprint", () => {
  const guard = new PagingGuard("x");
  const pageIds = (p: number) => Array.from({ length: 5 }, (_, i) => `p${p}-${i}`);
  for (let p = 0; p < 30; p++) guard.page(pageIds(p), "u");
  for (let p = 0; p < 19; p++) guard.page(pageIds(p), "u");
  assert.throws(() => guard.page(pageIds(19), "u"), PagingLoopError);
});

Deno.test("PagingGuard: ids seen long ago on another page count as new (bounded memory)", () => {
  const guard = new PagingGuard("x");
  for (let p = 0; p < 100; p++) guard.page([`id-${p}`], "u");
  // Pages mixing ids from more than 20 pages back: new to the window, never a false loop.
  for (let p = 0; p < 60; p++) guard.page([`id-${p}`, `id-${p + 1}`], "u");
});

Deno.test("a delta page item with a field of the wrong type is kept as malformed; one without id fails the page", () => {
  const page = deltaPageSchema.parse({
    value: [
      { id: "1", name: "odd.csv", size: "12", file: {}, parentReference: { id: "F" } },
      { id: "2", name: "sub", folder: { childCount: "many" }, parentReference: { id: "F" } },
      { id: "3", name: "ok.csv", size: 1, file: {}, lastModifiedDateTime: "2026-01-01T00:00:00Z" },
    ],
  });
  assert.deepEqual(page.value.map((i) => i.id), ["1", "2", "3"]);
  const folder = {
    siteId: "s",
    driveId: "d",
    itemId: "F",
    driveName: "",
    driveUrlSegment: "",
    pathInDrive: "",
    webUrl: "",
  };
  const odd = toFolderChange(page.value[0]!, folder, "x");
  assert.equal(odd.kind, "malformed");
  assert.match((odd as { reason: string }).reason, /^its field size is not valid/);
  assert.equal((odd as { name?: string }).name, "odd.csv");
  assert.equal(toFolderChange(page.value[1]!, folder, "x").kind, "gone");
  assert.equal(deltaPageSchema.safeParse({ value: [{ name: "no id" }] }).success, false);
});
