import assert from "node:assert/strict";
import { GraphError } from "../../src/errors.ts";
import { encodeId, encodePath, encodeSegment, GraphApi } from "../../src/graph/graph_api.ts";
import { describeLibraries, pickDrive, resolveFolder } from "../../src/graph/resolve.ts";
import type { Drive } from "../../src/graph/wire_types.ts";
import { graphErrorHook } from "../../src/graph/graph_errors.ts";
import { graphError, json, scriptedFetch, testTransport } from "../http/fetch_script.ts";
import { SteppedClock } from "../helpers/clocks.ts";

const SITE = "https://contoso.sharepoint.com/sites/Finance";
const SITE_ID =
  "contoso.sharepoint.com,2C712604-1370-44E7-A1F5-426573FDA80A,2D2244C3-251A-49EA-93A8-39E1C3A060FE";
const drives: Drive[] = [
  {
    id: "b!docs",
    name: "Documents",
    webUrl: `${SITE}/Shared%20Documents`,
    driveType: "documentLibrary",
  },
  { id: "b!archiv", name: "Archiv", webUrl: `${SITE}/Archive`, driveType: "documentLibrary" },
  {
    id: "b!deep",
    name: "Deep",
    webUrl: `${SITE}/Shared%20Documents/Deep`,
    driveType: "documentLibrary",
  },
  {
    id: "b!de",
    name: "Dokumente",
    webUrl: `${SITE}/Freigegebene%20Dokumente`,
    driveType: "documentLibrary",
  },
];

Deno.test("encodeSegment() percent-encodes names the way Graph expects", () => {
  const table: [string, string][] = [
    ["Ryan's Files", "Ryan's%20Files"],
    ["doc (1).docx", "doc%20(1).docx"],
    ["estimate%s.docx", "estimate%25s.docx"],
    ["Break#Out", "Break%23Out"],
    ["Résumé 2024", "R%C3%A9sum%C3%A9%202024"],
    ["日本語", "%E6%97%A5%E6%9C%AC%E8%AA%9E"],
    ["a+b", "a%2Bb"],
    ["q?.txt", "q%3F.txt"],
  ];
  for (const [name, expected] of table) assert.equal(encodeSegment(name), expected, name);
  assert.equal(encodePath("/Reports/Q1 #4/"), "Reports/Q1%20%234");
  assert.equal(encodeId(SITE_ID), SITE_ID, "commas of site ids stay as Graph shows them");
  assert.equal(encodeId("b!abc-_x"), "b!abc-_x");
});

Deno.test("pickDrive() matches the library by decoded webUrl, longest prefix, any case", () => {
  const table: [string, string | undefined, string][] = [
    ["/sites/Finance/Shared Documents/Reports/Incoming", "b!docs", "Reports/Incoming"],
    ["/sites/Finance/Shared Documents", "b!docs", ""],
    ["/sites/finance/shared documents/reports", "b!docs", "reports"],
    ["/sites/Finance/Shared Documents/Deep/x", "b!deep", "x"],
    ["/sites/Finance/Archive/2024", "b!archiv", "2024"],
    ["/sites/Finance/Freigegebene Dokumente/Berichte", "b!de", "Berichte"],
    ["/sites/Finance/Shared Documents2/x", undefined, ""],
    ["/sites/Finance/Documents/x", undefined, ""],
  ];
  for (const [target, id, rest] of table) {
    const match = pickDrive(drives, target);
    assert.equal(match?.drive.id, id, target);
    if (match) assert.equal(match.pathInDrive, rest, target);
  }
});

Deno.test("describeLibraries() names URL segments and their titles", () => {
  assert.equal(
    describeLibraries(drives.slice(0, 2), "/sites/Finance"),
    'libraries are "Shared Documents" (Documents), "Archive" (Archiv)',
  );
  assert.equal(describeLibraries([], "/sites/Finance"), "the site has no libraries");
});

/** A tiny Graph for one site: items keyed by "driveId:path" (lower case). */
function fakeGraph(options: { siteMisses?: number } = {}) {
  const clock = new SteppedClock();
  let siteMisses = options.siteMisses ?? 0;
  const folders: Record<string, { id: string; name: string; children: string[] }> = {
    "b!docs:": { id: "root", name: "root", children: ["Reports", "Archive 2023", "notes.txt"] },
    "b!docs:reports": { id: "rep", name: "Reports", children: ["2024", "Q1 #4"] },
    "b!docs:reports/q1 #4": { id: "q14", name: "Q1 #4", children: [] },
    "b!docs:reports/2024": { id: "r24", name: "2024", children: [] },
    "b!de:": { id: "deroot", name: "root", children: ["Berichte"] },
    "b!de:berichte": { id: "ber", name: "Berichte", children: [] },
  };
  const byId = new Map(Object.entries(folders).map(([key, f]) => [f.id, key]));
  const { fetch, calls } = scriptedFetch(clock, (call) => {
    const url = new URL(call.url);
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\.0/, ""));
    if (path === "/sites/contoso.sharepoint.com:/sites/Finance") {
      if (siteMisses-- > 0) return graphError(404, "itemNotFound", "Item not found");
      return json({ id: SITE_ID, webUrl: SITE, displayName: "Finance" });
    }
    if (path === `/sites/${SITE_ID}/drives`) return json({ value: drives });
    const byPath = /^\/drives\/([^/]+)\/root(?::\/(.*))?$/.exec(path);
    if (byPath) {
      const key = `${byPath[1]}:${(byPath[2] ?? "").toLowerCase()}`;
      if (key === "b!docs:notes.txt") return json({ id: "n", name: "notes.txt", file: {} });
      const folder = folders[key];
      return folder
        ? json({
          id: folder.id,
          name: folder.name,
          folder: { childCount: folder.children.length },
          webUrl: `${SITE}/x`,
        })
        : graphError(404, "itemNotFound", "The resource could not be found.");
    }
    const children = /^\/drives\/([^/]+)\/items\/([^/]+)\/children$/.exec(path);
    if (children) {
      const key = byId.get(children[2]!)!;
      const value = folders[key]!.children.map((name) =>
        name.includes(".")
          ? { id: name, name, file: {} }
          : { id: name, name, folder: { childCount: 0 } }
      );
      return json({ value });
    }
    return graphError(400, "invalidRequest", `unexpected ${path}`);
  });
  const transport = testTransport(fetch, clock, { onError: graphErrorHook });
  const auth = { authorization: () => Promise.resolve("Bearer t"), invalidate: () => {} };
  const api = new GraphApi({ transport, auth, baseUrl: "https://graph.example/v1.0" });
  return { api, calls };
}

Deno.test("resolveFolder() resolves a nested folder of the default library", async () => {
  const { api, calls } = fakeGraph();
  const folder = await resolveFolder(api, {
    siteUrl: SITE,
    folder: "/Shared Documents/Reports/Q1 #4",
  });
  assert.deepEqual(folder, {
    siteId: SITE_ID,
    driveId: "b!docs",
    driveName: "Documents",
    driveUrlSegment: "Shared Documents",
    itemId: "q14",
    pathInDrive: "Reports/Q1 #4",
    webUrl: `${SITE}/x`,
  });
  assert.ok(calls.some((c) => c.url.endsWith("/drives/b!docs/root:/Reports/Q1%20%234")));
});

Deno.test("resolveFolder() resolves a library root and a localized library", async () => {
  const { api } = fakeGraph();
  const root = await resolveFolder(api, { siteUrl: SITE, folder: "/Shared Documents" });
  assert.equal(root.itemId, "root");
  assert.equal(root.pathInDrive, "");
  const german = await resolveFolder(api, {
    siteUrl: `${SITE}/`,
    folder: "/Freigegebene Dokumente/Berichte",
  });
  assert.equal(german.driveName, "Dokumente");
  assert.equal(german.driveUrlSegment, "Freigegebene Dokumente");
  assert.equal(german.itemId, "ber");
});

Deno.test("resolveFolder() retries a 404 on the site lookup once", async () => {
  const { api, calls } = fakeGraph({ siteMisses: 1 });
  const folder = await resolveFolder(api, { siteUrl: SITE, folder: "/Shared Documents/Reports" });
  assert.equal(folder.itemId, "rep");
  assert.equal(calls.filter((c) => c.url.includes("/sites/contoso.sharepoint.com:")).length, 2);
  const { api: missing } = fakeGraph({ siteMisses: 2 });
  const error = await resolveFolder(missing, { siteUrl: SITE, folder: "/Shared Documents" }).catch((
    e,
  ) => e);
  assert.ok(error instanceof GraphError);
  assert.equal(
    error.message,
    'Cannot resolve site "/sites/Finance" on contoso.sharepoint.com: 404 itemNotFound Item not found',
  );
});

Deno.test("resolveFolder() lists the libraries when the library is unknown", async () => {
  const { api } = fakeGraph();
  const error = await resolveFolder(api, { siteUrl: SITE, folder: "/Shared Docs/Reports" }).catch((
    e,
  ) => e);
  assert.ok(error instanceof GraphError);
  assert.equal(
    error.message,
    `Cannot resolve library "/Shared Docs" on site ${SITE}: libraries are "Shared Documents" (Documents), ` +
      `"Archive" (Archiv), "Shared Documents/Deep" (Deep), "Freigegebene Dokumente" (Dokumente)`,
  );
  const titled = await resolveFolder(api, { siteUrl: SITE, folder: "/Documents/Reports" }).catch((
    e,
  ) => e);
  assert.match(
    titled.message,
    /"Documents" is the title of library "Shared Documents": start sharepoint_folder with "\/Shared Documents"$/,
  );
});

Deno.test("resolveFolder() lists the folders of the deepest existing parent", async () => {
  const { api } = fakeGraph();
  const nested = await resolveFolder(api, {
    siteUrl: SITE,
    folder: "/Shared Documents/Reports/2025/Jan",
  })
    .catch((e) => e);
  assert.ok(nested instanceof GraphError);
  assert.equal(
    nested.message,
    `Cannot resolve folder "/Shared Documents/Reports/2025/Jan" on site ${SITE}: ` +
      `"/Reports" has no folder "2025"; its folders are "2024", "Q1 #4"`,
  );
  assert.equal(nested.status, 404);
  const top = await resolveFolder(api, { siteUrl: SITE, folder: "/Shared Documents/Reprots" })
    .catch((e) => e);
  assert.equal(
    top.message,
    `Cannot resolve folder "/Shared Documents/Reprots" on site ${SITE}: the library root of ` +
      `"Shared Documents" has no folder "Reprots"; its folders are "Archive 2023", "Reports"`,
  );
  const empty = await resolveFolder(api, {
    siteUrl: SITE,
    folder: "/Shared Documents/Reports/2024/x",
  })
    .catch((e) => e);
  assert.match(empty.message, /"\/Reports\/2024" has no folder "x"; it has no folders$/);
});

Deno.test("resolveFolder() refuses a file where a folder is expected", async () => {
  const { api } = fakeGraph();
  const error = await resolveFolder(api, { siteUrl: SITE, folder: "/Shared Documents/notes.txt" })
    .catch((e) => e);
  assert.ok(error instanceof GraphError);
  assert.match(error.message, /"notes.txt" is not a folder$/);
});
