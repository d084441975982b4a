/**
 * Delta paging asks for the next page before it hands over the current page's items, so the
 * service renders page N+1 while page N is consumed (a first enumeration of a large library is a
 * thousand pages). At most one page is requested ahead.
 */
import assert from "node:assert/strict";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import type { FolderChange } from "../../src/graph/sharepoint_client.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import { clientSettingsFor } from "../helpers/graph_settings.ts";

Deno.test("delta: the next page is requested before the current page's items are consumed", async () => {
  const files = Array.from({ length: 2_500 }, (_, i) => ({
    path: `Reports/f${String(i).padStart(5, "0")}.csv`,
    content: new Uint8Array([i % 256]),
    lastModified: new Date("2026-12-01T10:00:00Z"),
  }));
  await using sim = await startSimulator({ files });
  const deltaCalls: string[] = [];
  const recording: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.includes("/delta")) deltaCalls.push(url);
    return fetch(input, init);
  };
  const settings = clientSettingsFor(sim, { request_timeout_seconds: 5 });
  const client = new GraphSharePointClient({ settings, fetch: recording, maxRetries: 0 });
  const folder = await client.resolveFolder();
  const feed = client.listChanges(folder, { scope: "folder", link: undefined });
  const changes: FolderChange[] = [];
  const requestedWhen: number[] = [];
  for (;;) {
    const next = await feed.next();
    if (next.done) break;
    changes.push(next.value);
    requestedWhen.push(deltaCalls.length);
  }
  const pages = deltaCalls.length;
  assert.ok(pages >= 3, `three pages or more (${pages})`);
  assert.equal(new Set(deltaCalls).size, pages, "no page is asked for twice");
  // By the end of the first page's 1,000 items, the second page has been asked for already…
  assert.equal(requestedWhen[999], 2);
  // …and never more than one page ahead.
  assert.ok(requestedWhen.every((n) => n <= pages));
  assert.equal(requestedWhen.at(-1), pages, "the last page asks for nothing more");
  // (A page may repeat the last item of the one before it.)
  const ids = new Set(changes.flatMap((c) => c.kind === "file" ? [c.file.id] : []));
  assert.equal(ids.size, files.length);
});
