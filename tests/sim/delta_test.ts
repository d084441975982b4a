/**
 * The simulator's `…/delta` over HTTP: paging, opaque links, `token=latest`, ancestors,
 * tombstones without names, repeats across pages, frozen `$select`, 410 and 501.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";
import { defaultDriveId, getToken, graphGet, graphJson } from "./helpers.ts";

type Item = Record<string, unknown> & {
  id: string;
  name?: string;
  deleted?: unknown;
  parentReference?: Record<string, unknown>;
};

/** Follows a feed from `url` to its deltaLink; returns every item in order and the link. */
async function readFeed(sim: Simulator, url: string, token: string) {
  const items: Item[] = [];
  let pages = 0;
  for (let next: string | undefined = url; next !== undefined;) {
    const body = await graphJson(sim, next, token);
    pages++;
    items.push(...(body.value as Item[]));
    if (typeof body["@odata.deltaLink"] === "string") {
      return { items, pages, link: body["@odata.deltaLink"] as string };
    }
    next = body["@odata.nextLink"] as string | undefined;
    assert.ok(next, "a page has a nextLink or a deltaLink");
  }
  throw new Error("unreachable");
}

async function setup(files = 5) {
  const sim = await startSimulator({
    files: [
      ...Array.from({ length: files }, (_, i) => ({ path: `Reports/f${i}.csv`, size: 10 })),
      { path: "Other/x.csv", size: 1 },
    ],
  });
  const token = await getToken(sim);
  const drive = await defaultDriveId(sim, token);
  const folder = await graphJson(sim, `/drives/${drive}/root:/Reports`, token);
  return { sim, token, drive, folderId: folder.id as string };
}

Deno.test("delta enumerates a folder in pages, then reports only changes, with ancestors", async () => {
  const { sim, token, drive, folderId } = await setup(5);
  await using _ = sim;
  const first = await readFeed(sim, `/drives/${drive}/items/${folderId}/delta?$top=2`, token);
  assert.ok(first.pages >= 3);
  const names = new Set(first.items.map((i) => i.name));
  for (let i = 0; i < 5; i++) assert.ok(names.has(`f${i}.csv`));
  assert.ok(!names.has("x.csv"), "other folders are outside the scope");
  const ids = first.items.map((i) => i.id);
  assert.ok(new Set(ids).size < ids.length, "an item repeats across pages");
  assert.match(first.link, /\/delta\?token=[A-Za-z0-9_-]+$/);

  const idle = await readFeed(sim, first.link, token);
  assert.deepEqual(idle.items, []);

  sim.addFile({ path: "Reports/new.csv", size: 3 });
  const changed = await readFeed(sim, idle.link, token);
  const newItem = changed.items.find((i) => i.name === "new.csv");
  assert.ok(newItem);
  assert.equal(newItem.parentReference?.id, folderId);
  assert.equal(newItem.parentReference?.path, undefined, "delta leaves path out");
  assert.equal(newItem.cTag, undefined, "business delta leaves cTag out");
  assert.ok(changed.items.some((i) => i.id === folderId), "the folder comes along as an ancestor");
  assert.ok(changed.items.some((i) => "root" in i), "the drive root comes along");
  assert.ok(!changed.items.some((i) => /^f\d\.csv$/.test(i.name ?? "")));
});

Deno.test("delta reports deletes and moves out as tombstones without a name", async () => {
  const { sim, token, drive, folderId } = await setup(3);
  await using _ = sim;
  const { link } = await readFeed(sim, `/drives/${drive}/items/${folderId}/delta`, token);
  const f0 = (await graphJson(sim, `/drives/${drive}/root:/Reports/f0.csv`, token)).id;
  const f1 = (await graphJson(sim, `/drives/${drive}/root:/Reports/f1.csv`, token)).id;
  sim.removeItem("Reports/f0.csv");
  sim.moveItem("Reports/f1.csv", "Other/f1.csv");
  sim.moveItem("Reports/f2.csv", "Reports/f2-renamed.csv");
  const feed = await readFeed(sim, link, token);
  for (const id of [f0, f1]) {
    const entry = feed.items.find((i) => i.id === id)!;
    assert.ok(entry.deleted, `${id} has the deleted facet`);
    assert.equal(entry.name, undefined);
  }
  assert.ok(feed.items.some((i) => i.name === "f2-renamed.csv" && !i.deleted));
  const root = await readFeed(sim, `/drives/${drive}/root/delta?token=latest`, token);
  assert.deepEqual(root.items, [], "token=latest lists nothing");
  sim.moveItem("Other/f1.csv", "Other/f1b.csv");
  const rootFeed = await readFeed(sim, root.link, token);
  const moved = rootFeed.items.find((i) => i.id === f1)!;
  assert.equal(moved.name, "f1b.csv", "root delta reports the item where it is now");
});

Deno.test("a page holds at most 7 tombstones; $select is frozen into the links", async () => {
  const { sim, token, drive, folderId } = await setup(20);
  await using _ = sim;
  const url = `/drives/${drive}/items/${folderId}/delta?$select=id,name,content.downloadUrl`;
  const first = await readFeed(sim, url, token);
  const file = first.items.find((i) => i.name === "f3.csv")!;
  assert.deepEqual(Object.keys(file).sort(), ["@microsoft.graph.downloadUrl", "id", "name"]);
  for (let i = 0; i < 20; i++) sim.removeItem(`Reports/f${i}.csv`);
  sim.addFile({ path: "Reports/late.csv", size: 1 });
  const feed = await readFeed(sim, first.link, token);
  assert.ok(feed.pages >= 3, `${feed.pages} pages`);
  assert.equal(feed.items.filter((i) => i.deleted).length, 20);
  const late = feed.items.find((i) => i.name === "late.csv")!;
  assert.equal(late.size, undefined, "the select of the first call still applies");
});

Deno.test("an expired link answers 410 with a Location that enumerates from scratch", async () => {
  const { sim, token, drive, folderId } = await setup(2);
  await using _ = sim;
  const { link } = await readFeed(sim, `/drives/${drive}/items/${folderId}/delta`, token);
  sim.expireDeltaLinks();
  const response = await graphGet(sim, link, token);
  assert.equal(response.status, 410);
  const body = await response.json();
  assert.equal(body.error.code, "resyncRequired");
  const location = response.headers.get("location")!;
  assert.doesNotMatch(location, /token=/);
  const again = await readFeed(sim, location, token);
  assert.equal(again.items.filter((i) => /^f\d\.csv$/.test(i.name ?? "")).length, 2);
  const bad = await graphGet(sim, `/drives/${drive}/items/${folderId}/delta?token=bogus`, token);
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});

Deno.test("with folder delta off, a folder answers 501 notSupported and the root still works", async () => {
  const { sim, token, drive, folderId } = await setup(1);
  await using _ = sim;
  sim.setFolderDelta(false);
  const refused = await graphGet(sim, `/drives/${drive}/items/${folderId}/delta`, token);
  assert.equal(refused.status, 501);
  const body = await refused.json();
  assert.equal(body.error.code, "notSupported");
  assert.equal(body.error.message, "view.delta can only be called on the root.");
  const root = await readFeed(sim, `/drives/${drive}/root/delta`, token);
  assert.ok(root.items.some((i) => i.name === "x.csv"));
  const gone = await graphGet(sim, `/drives/${drive}/items/nope/delta`, token);
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
});

Deno.test("a timestamp token starts the feed at that time", async () => {
  let now = Date.parse("2026-03-01T10:00:00Z");
  const sim = await startSimulator({ now: () => now, files: [{ path: "Reports/a.csv" }] });
  await using _ = sim;
  const token = await getToken(sim);
  const drive = await defaultDriveId(sim, token);
  now += 3_600_000;
  sim.addFile({ path: "Reports/b.csv" });
  const fresh = await getToken(sim);
  const feed = await readFeed(
    sim,
    `/drives/${drive}/root/delta?token=${encodeURIComponent("2026-03-01T10:30:00Z")}`,
    fresh,
  );
  const names = feed.items.map((i) => i.name);
  assert.ok(names.includes("b.csv"));
  assert.ok(!names.includes("a.csv"));
});
