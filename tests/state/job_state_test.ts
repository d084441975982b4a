import assert from "node:assert/strict";
import { join } from "node:path";
import { JobStateStore, stateKey } from "../../src/state/job_state.ts";

const KEY = stateKey({
  graphBaseUrl: "https://graph.microsoft.com/v1.0",
  siteUrl: "https://contoso.sharepoint.com/sites/Finance/",
  folder: "/Inbound",
});

function store(dir: string, key = KEY): JobStateStore {
  return new JobStateStore({ path: join(dir, "ingest.state.json"), key, now: () => 1_000_000 });
}

Deno.test("a missing state file is a fresh state without a warning", async () => {
  const dir = await Deno.makeTempDir();
  const loaded = await store(dir).load();
  assert.deepEqual(loaded.fresh, true);
  assert.deepEqual(loaded.warning, undefined);
  assert.deepEqual(loaded.state.key, KEY);
});

Deno.test("update writes atomically and a new store reads the sections back", async () => {
  const dir = await Deno.makeTempDir();
  const first = store(dir);
  await first.load();
  await first.update((s) => {
    s.listing = { mode: "folder_delta", delta_link: "https://g/delta?token=a" };
  });
  await first.update((s) => {
    s.last_success = {
      until: "2026-11-30T10:00:00.000Z",
      finished_at: "2026-11-30T10:01:00.000Z",
      exit_code: 0,
    };
  });
  const loaded = await store(dir).load();
  assert.deepEqual(loaded.fresh, false);
  assert.deepEqual(loaded.state.listing?.delta_link, "https://g/delta?token=a");
  assert.deepEqual(loaded.state.last_success?.exit_code, 0);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(names, ["ingest.state.json", "ingest.state.json.lock"]);
});

Deno.test("concurrent updates are serialized and keep each other's sections", async () => {
  const dir = await Deno.makeTempDir();
  const s = store(dir);
  await Promise.all([
    s.update((st) => {
      st.retry = [{
        id: "1",
        name: "a.csv",
        reason: "failed",
        last_modified: "2026-11-30T09:00:00Z",
      }];
    }),
    s.update((st) => {
      st.listing = { mode: "children" };
    }),
  ]);
  const state = (await store(dir).load()).state;
  assert.deepEqual(state.retry?.length, 1);
  assert.deepEqual(state.listing?.mode, "children");
});

const BAD_FILES: [string, string, RegExp][] = [
  ["corrupt JSON", "{not json", /not valid JSON/],
  ["a foreign version", JSON.stringify({ version: 99, key: KEY }), /version 99 is not 1/],
  ["an invalid section", JSON.stringify({ version: 1, key: KEY, updated_at: "x" }), /updated_at/],
  [
    "another key",
    JSON.stringify({ version: 1, key: "other", updated_at: "2026-11-30T00:00:00Z" }),
    /another site, folder or Graph endpoint/,
  ],
];
for (const [what, text, reason] of BAD_FILES) {
  Deno.test(`a state file with ${what} gives a fresh state and a warning`, async () => {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "ingest.state.json"), text);
    const loaded = await store(dir).load();
    assert.deepEqual(loaded.fresh, true);
    assert.deepEqual(loaded.state.listing, undefined);
    assert.ok(loaded.warning !== undefined);
    assert.match(loaded.warning, reason);
    assert.match(
      loaded.warning,
      /^Cannot use the state file .*ingest\.state\.json: .*; starting from a full listing$/,
    );
  });
}

Deno.test("stateKey ignores a trailing slash and case of the site URL, not the folder", () => {
  const a = stateKey({
    graphBaseUrl: "https://g/v1.0/",
    siteUrl: "https://C.sharepoint.com/sites/X/",
    folder: "/In",
  });
  const b = stateKey({
    graphBaseUrl: "https://g/v1.0",
    siteUrl: "https://c.sharepoint.com/sites/x",
    folder: "/In",
  });
  const c = stateKey({
    graphBaseUrl: "https://g/v1.0",
    siteUrl: "https://c.sharepoint.com/sites/x",
    folder: "/in",
  });
  assert.deepEqual(a, b);
  assert.notEqual(a, c);
});
