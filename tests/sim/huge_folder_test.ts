import assert from "node:assert/strict";
import { startSimulator } from "../../src/sim/simulator.ts";
import { defaultDriveId, getToken, graphJson } from "./helpers.ts";

Deno.test("a 100,000-item folder seeds quickly and lists completely, page by page", async () => {
  const count = 100_000;
  const files = Array.from(
    { length: count },
    (_, i) => ({ path: `Huge/f_${String(i).padStart(6, "0")}.csv`, size: 64 }),
  );
  const started = performance.now();
  await using sim = await startSimulator({ files });
  const seedMs = performance.now() - started;
  assert.ok(seedMs < 15_000, `seeding took ${seedMs.toFixed(0)} ms`);
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const folder = await graphJson(sim, `/drives/${driveId}/root:/Huge`, token);
  assert.deepEqual(folder.folder, { childCount: count });
  let url: string | undefined =
    `/drives/${driveId}/items/${folder.id}/children?$top=1000&$select=id,name`;
  const seen = new Set<string>();
  let pages = 0;
  let previous = "";
  while (url !== undefined) {
    const page = await graphJson(sim, url, token);
    for (const item of page.value!) {
      const name = item.name as string;
      assert.ok(name > previous, `order broken at ${name}`);
      previous = name;
      seen.add(item.id as string);
    }
    pages++;
    url = page["@odata.nextLink"] as string | undefined;
  }
  assert.equal(pages, 100);
  assert.equal(seen.size, count);
});

Deno.test("paging resumes after the last item even when items are added or removed between pages", async () => {
  const files = Array.from(
    { length: 10 },
    (_, i) => ({ path: `F/${String.fromCharCode(97 + i)}.csv`, size: 1 }),
  );
  await using sim = await startSimulator({ files });
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const first = await graphJson(sim, `/drives/${driveId}/root:/F:/children?$top=4`, token);
  assert.deepEqual(first.value!.map((i) => i.name), ["a.csv", "b.csv", "c.csv", "d.csv"]);
  sim.removeItem("F/a.csv");
  sim.removeItem("F/e.csv");
  sim.addFile({ path: "F/bb.csv", size: 1 });
  sim.addFile({ path: "F/ee.csv", size: 1 });
  const second = await graphJson(sim, first["@odata.nextLink"] as string, token);
  assert.deepEqual(second.value!.map((i) => i.name), ["ee.csv", "f.csv", "g.csv", "h.csv"]);
});
