import assert from "node:assert/strict";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import { defaultDriveId, getToken, graphGet, graphJson, statusOf } from "./helpers.ts";

const LIBRARIES = [
  { name: "Dokumente", urlSegment: "Shared Documents", isDefault: true },
  { name: "doc-lib", urlSegment: "doclib" },
];

type Json = Record<string, unknown>;

async function expectGraphError(response: Response, status: number, code: string): Promise<Json> {
  const body = await response.json();
  assert.equal(response.status, status);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.equal(body.error.innerError["request-id"], response.headers.get("request-id"));
  assert.match(body.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  return body;
}

Deno.test("graph resolves the site by host and path, with or without the closing colon", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  const site = await graphJson(sim, "/sites/contoso.sharepoint.com:/sites/Finance", token);
  assert.match(site.id as string, /^contoso\.sharepoint\.com,[0-9a-f-]{36},[0-9a-f-]{36}$/);
  assert.equal(site.webUrl, "https://contoso.sharepoint.com/sites/Finance");
  const colon = await graphJson(sim, "/sites/contoso.sharepoint.com:/sites/finance:", token);
  assert.equal(colon.id, site.id);
  const byId = await graphJson(sim, `/sites/${site.id}`, token);
  assert.equal(byId.displayName, "Finance");
  const drives = await graphJson(
    sim,
    "/sites/contoso.sharepoint.com:/sites/Finance:/drives",
    token,
  );
  assert.equal(drives.value?.length, 1);
});

Deno.test("graph answers 404 itemNotFound for a missing site and 400 for another host", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  await expectGraphError(
    await graphGet(sim, "/sites/contoso.sharepoint.com:/sites/HR", token),
    404,
    "itemNotFound",
  );
  await expectGraphError(
    await graphGet(sim, "/sites/fabrikam.sharepoint.com:/sites/Finance", token),
    400,
    "invalidRequest",
  );
  await expectGraphError(
    await graphGet(sim, "/sites/contoso.sharepoint.com:/sites/Finance:/lists", token),
    400,
    "BadRequest",
  );
});

Deno.test("graph lists drives with localized names and webUrls ending in the URL segment", async () => {
  await using sim = await startSimulator({ libraries: LIBRARIES });
  const token = await getToken(sim);
  const site = await graphJson(sim, "/sites/contoso.sharepoint.com:/sites/Finance", token);
  const drives = await graphJson(sim, `/sites/${site.id}/drives`, token);
  const summary = drives.value!.map((d) => [d.name, d.webUrl, d.driveType]);
  assert.deepEqual(summary, [
    [
      "Dokumente",
      "https://contoso.sharepoint.com/sites/Finance/Shared%20Documents",
      "documentLibrary",
    ],
    ["doc-lib", "https://contoso.sharepoint.com/sites/Finance/doclib", "documentLibrary"],
  ]);
  for (const drive of drives.value!) assert.match(drive.id as string, /^b![\w-]{64}$/);
  const defaultDrive = await graphJson(sim, `/sites/${site.id}/drive`, token);
  assert.equal(defaultDrive.name, "Dokumente");
  const root = await graphJson(sim, `/drives/${drives.value![1]!.id}/root`, token);
  assert.equal(root.name, "root");
  assert.deepEqual(root.root, {});
  assert.equal(root.webUrl, "https://contoso.sharepoint.com/sites/Finance/doclib");
});

Deno.test("graph items carry SharePoint's shapes: eTag, cTag, hashes, parentReference, downloadUrl", async () => {
  const modified = new Date("2026-03-04T05:06:07.890Z");
  const content = new TextEncoder().encode("a,b\n1,2\n");
  await using sim = await startSimulator({
    files: [{ path: "Reports/data.csv", content, lastModified: modified }],
  });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const item = await graphJson(sim, `/drives/${driveId}/root:/Reports/data.csv`, token);
  assert.match(item.id as string, /^01[A-Z2-7]{32}$/);
  assert.match(item.eTag as string, /^"\{[0-9A-F-]{36}\},1"$/);
  assert.match(item.cTag as string, /^"c:\{[0-9a-f-]{36}\},1"$/);
  assert.equal(item.lastModifiedDateTime, "2026-03-04T05:06:07Z");
  assert.equal(item.size, content.length);
  assert.deepEqual(item.file, {
    mimeType: "text/csv",
    hashes: { quickXorHash: quickXorHash(content) },
  });
  const parent = item.parentReference as Json;
  assert.equal(parent.driveId, driveId);
  assert.equal(parent.driveType, "documentLibrary");
  assert.equal(parent.name, "Reports");
  assert.equal(parent.path, `/drives/${driveId}/root:/Reports`);
  assert.equal(
    item.webUrl,
    "https://contoso.sharepoint.com/sites/Finance/Shared%20Documents/Reports/data.csv",
  );
  assert.match(
    item["@microsoft.graph.downloadUrl"] as string,
    /^http:\/\/localhost:\d+\/sites\/Finance\/_layouts\/15\/download\.aspx\?UniqueId=[0-9a-f-]{36}&Translate=false&tempauth=[\w.-]+&ApiVersion=2\.0$/,
  );
  const byId = await graphJson(sim, `/drives/${driveId}/items/${item.id}`, token);
  assert.equal(byId.name, "data.csv");
  const folder = await graphJson(sim, `/drives/${driveId}/root:/Reports`, token);
  assert.deepEqual(folder.folder, { childCount: 1 });
  assert.equal(folder.cTag, undefined);
  assert.equal(folder["@microsoft.graph.downloadUrl"], undefined);
});

Deno.test("graph omits the hash when the file has none and honours $select", async () => {
  await using sim = await startSimulator({ files: [{ path: "a.bin", size: 10, noHash: true }] });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const item = await graphJson(sim, `/drives/${driveId}/root:/a.bin`, token);
  assert.deepEqual(item.file, { mimeType: "application/octet-stream", hashes: {} });
  const selected = await graphJson(sim, `/drives/${driveId}/root:/a.bin?$select=name,size`, token);
  assert.deepEqual(Object.keys(selected).sort(), ["@odata.context", "id", "name", "size"]);
});

Deno.test("graph addresses odd names by percent-encoded path, case-insensitively, and lists them", async () => {
  const names = [
    "Break#Out.csv",
    "estimate%s.docx",
    "Ryan's Files (1).txt",
    "Übersicht 📊.xlsx",
    "CON.txt",
    "a:b.csv",
    "plus+sign.csv",
  ];
  await using sim = await startSimulator({
    files: names.map((name) => ({ path: `Odd Folder/${name}`, size: 3 })),
  });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  for (const name of names) {
    const item = await graphJson(
      sim,
      `/drives/${driveId}/root:/Odd%20Folder/${encodeURIComponent(name)}`,
      token,
    );
    assert.equal(item.name, name);
    const upper = await graphJson(
      sim,
      `/drives/${driveId}/root:/ODD%20FOLDER/${encodeURIComponent(name.toUpperCase())}:`,
      token,
    );
    assert.equal(upper.id, item.id);
  }
  const listed = await graphJson(sim, `/drives/${driveId}/root:/Odd%20Folder:/children`, token);
  assert.deepEqual(listed.value!.map((i) => i.name).sort(), [...names].sort());
  const truncated = await graphGet(
    sim,
    `/drives/${driveId}/root:/Odd%20Folder/Break#Out.csv`,
    token,
  );
  await expectGraphError(truncated, 404, "itemNotFound");
});

Deno.test("graph pages children by $top and follows @odata.nextLink until it is absent", async () => {
  const files = Array.from(
    { length: 25 },
    (_, i) => ({ path: `Big/file_${String(i).padStart(2, "0")}.csv`, size: 1 }),
  );
  await using sim = await startSimulator({
    files: [...files, { path: "Big/Sub/inner.csv", size: 1 }],
  });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const folder = await graphJson(sim, `/drives/${driveId}/root:/Big`, token);
  let url: string | undefined = `/drives/${driveId}/items/${folder.id}/children?$top=10`;
  const pages: string[][] = [];
  while (url !== undefined) {
    const page = await graphJson(sim, url, token);
    pages.push(page.value!.map((item) => item.name as string));
    url = page["@odata.nextLink"] as string | undefined;
    if (url !== undefined) {
      assert.match(
        url,
        new RegExp(`^${sim.graphBaseUrl}/drives/.+/children\\?\\$top=10&\\$skiptoken=[\\w-]+$`),
      );
    }
  }
  assert.deepEqual(pages.map((p) => p.length), [10, 10, 6]);
  assert.equal(pages[0]![0], "Sub", "folders are listed first");
  assert.deepEqual(pages.flat().slice(1), files.map((f) => f.path.slice(4)));
});

Deno.test("graph uses the default page size without $top and caps $top at 1000", async () => {
  const files = Array.from({ length: 1005 }, (_, i) => ({ path: `F/${i}.txt`, size: 0 }));
  await using sim = await startSimulator({ files, pageSize: 200 });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const first = await graphJson(sim, `/drives/${driveId}/root:/F:/children`, token);
  assert.equal(first.value!.length, 200);
  assert.ok(first["@odata.nextLink"]);
  const capped = await graphJson(sim, `/drives/${driveId}/root:/F:/children?$top=5000`, token);
  assert.equal(capped.value!.length, 1000);
  const rest = await graphJson(sim, capped["@odata.nextLink"] as string, token);
  assert.equal(rest.value!.length, 5);
  assert.equal(rest["@odata.nextLink"], undefined);
});

Deno.test("graph rejects $filter on children, a bad $top and a forged $skiptoken with 400", async () => {
  await using sim = await startSimulator({ files: [{ path: "R/a.csv", size: 1 }] });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const base = `/drives/${driveId}/root:/R:/children`;
  await expectGraphError(
    await graphGet(sim, `${base}?$filter=file ne null`, token),
    400,
    "invalidRequest",
  );
  await expectGraphError(await graphGet(sim, `${base}?$top=abc`, token), 400, "invalidRequest");
  await expectGraphError(
    await graphGet(sim, `${base}?$skiptoken=bogus`, token),
    400,
    "invalidRequest",
  );
});

Deno.test("graph requires a valid bearer token and says why in a 401 with www-authenticate", async () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  await using sim = await startSimulator({ now: () => now, tokenLifetimeSeconds: 60 });
  const token = await getToken(sim);
  const path = "/sites/contoso.sharepoint.com:/sites/Finance";
  const cases: [string | undefined, string][] = [
    [undefined, "Access token is empty."],
    ["eyJ0.forged.token", "Access token validation failure."],
  ];
  for (const [bearer, message] of cases) {
    const response = await graphGet(sim, path, bearer);
    const body = await expectGraphError(response, 401, "InvalidAuthenticationToken");
    assert.equal((body.error as Json).message, message);
    assert.match(response.headers.get("www-authenticate")!, /^Bearer realm="", authorization_uri=/);
  }
  assert.equal(await statusOf(graphGet(sim, path, token)), 200);
  now += 61_000;
  const expired = await expectGraphError(
    await graphGet(sim, path, token),
    401,
    "InvalidAuthenticationToken",
  );
  assert.equal((expired.error as Json).message, "Access token has expired or is not yet valid.");
});

Deno.test("graph echoes client-request-id and sets a request-id on every answer", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  const response = await graphGet(sim, "/sites/contoso.sharepoint.com:/sites/Finance", token, {
    headers: { "client-request-id": "my-correlation" },
  });
  await response.body?.cancel();
  assert.equal(response.headers.get("client-request-id"), "my-correlation");
  assert.match(response.headers.get("request-id")!, /^[0-9a-f-]{36}$/);
  assert.match(response.headers.get("content-type")!, /^application\/json;odata.metadata=minimal/);
});

Deno.test("graph /content answers 302 to the download origin, which fetch follows without Authorization", async () => {
  const content = new TextEncoder().encode("hello world");
  await using sim = await startSimulator({ files: [{ path: "R/hello.txt", content }] });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const manual = await graphGet(sim, `/drives/${driveId}/root:/R/hello.txt:/content`, token, {
    redirect: "manual",
  });
  assert.equal(manual.status, 302);
  assert.ok(
    manual.headers.get("location")!.startsWith(
      `${sim.downloadOrigin}/sites/Finance/_layouts/15/download.aspx?`,
    ),
  );
  await manual.body?.cancel();
  const followed = await graphGet(sim, `/drives/${driveId}/root:/R/hello.txt:/content`, token);
  assert.equal(followed.status, 200);
  assert.equal(new TextDecoder().decode(await followed.arrayBuffer()), "hello world");
  const download = sim.requestLog.filter((entry) => entry.server === "download");
  assert.equal(download.length, 1);
  assert.equal(download[0]!.headers.authorization, undefined);
});

Deno.test("graph answers 404 itemNotFound for missing items and BadRequest for unknown segments", async () => {
  await using sim = await startSimulator({ files: [{ path: "R/a.csv", size: 1 }] });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  await expectGraphError(
    await graphGet(sim, `/drives/${driveId}/root:/R/missing.csv`, token),
    404,
    "itemNotFound",
  );
  await expectGraphError(
    await graphGet(sim, `/drives/${driveId}/items/01NOTANITEM`, token),
    404,
    "itemNotFound",
  );
  await expectGraphError(await graphGet(sim, `/drives/b!nope/root`, token), 404, "itemNotFound");
  await expectGraphError(
    await graphGet(sim, `/drives/${driveId}/root:/Shared%20Documents/R`, token),
    404,
    "itemNotFound",
  );
  await expectGraphError(
    await graphGet(sim, `/drives/${driveId}/root/recent`, token),
    400,
    "BadRequest",
  );
  await expectGraphError(await graphGet(sim, `/me/drive`, token), 400, "BadRequest");
});

Deno.test("graph reflects addFile replacements and removeItem", async () => {
  await using sim = await startSimulator({
    files: [{ path: "R/a.csv", content: new Uint8Array([1]) }],
  });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const before = await graphJson(sim, `/drives/${driveId}/root:/R/a.csv`, token);
  const id = sim.addFile({ path: "R/A.CSV", content: new Uint8Array([1, 2]) });
  assert.equal(id, before.id, "replacing keeps the id");
  const after = await graphJson(sim, `/drives/${driveId}/root:/R/a.csv`, token);
  assert.equal(after.size, 2);
  assert.match(after.cTag as string, /,2"$/);
  assert.equal(sim.removeItem("R/a.csv"), true);
  assert.equal(await statusOf(graphGet(sim, `/drives/${driveId}/items/${id}`, token)), 404);
});
