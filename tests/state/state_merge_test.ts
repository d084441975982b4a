/**
 * Two processes updating one job's state (a forced trigger overlapping a scheduled run) merge
 * their changes under a short lock on `<state file>.lock`: neither overwrites the other.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { JobStateStore, stateKey } from "../../src/state/job_state.ts";

const KEY = stateKey({
  graphBaseUrl: "https://graph.microsoft.com/v1.0",
  siteUrl: "https://contoso.sharepoint.com/sites/Finance",
  folder: "/Inbound",
});

function store(path: string): JobStateStore {
  return new JobStateStore({ path, key: KEY, now: () => Date.UTC(2026, 2, 1) });
}

const entry = (id: string) => ({
  id,
  name: `${id}.csv`,
  reason: "failed" as const,
  last_modified: "2026-03-01T00:00:00.000Z",
});

Deno.test("two stores of one file (two processes) merge their updates instead of overwriting", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "ingest.state.json");
    const a = store(path);
    const b = store(path);
    await a.load();
    await b.load();
    await a.update((s) => void (s.retry = [...(s.retry ?? []), entry("from-a")]));
    await b.update((s) => void (s.retry = [...(s.retry ?? []), entry("from-b")]));
    let onDisk = (await store(path).load()).state;
    assert.deepEqual(onDisk.retry?.map((e) => e.id), ["from-a", "from-b"]);
    // Again with a file both stores have read: each sees the other's write.
    await a.update((s) => void (s.retry = [...(s.retry ?? []), entry("again-a")]));
    await b.update((s) => void (s.retry = [...(s.retry ?? []), entry("again-b")]));
    await a.update((s) => void (s.retry = [...(s.retry ?? []), entry("last-a")]));
    onDisk = (await store(path).load()).state;
    assert.deepEqual(onDisk.retry?.map((e) => e.id), [
      "from-a",
      "from-b",
      "again-a",
      "again-b",
      "last-a",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an update waits while another process holds the state lock, then merges", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "ingest.state.json");
    const holder = `
      const file = await Deno.open(${
      JSON.stringify(`${path}.lock`)
    }, { read: true, write: true, create: true });
      if (!(await file.tryLock(true))) Deno.exit(3);
      console.log("held");
      await new Promise((r) => setTimeout(r, 400));
      const text = await Deno.readTextFile(${JSON.stringify(path)});
      const state = JSON.parse(text);
      state.retry = [...(state.retry ?? []), ${JSON.stringify(entry("other"))}];
      await Deno.writeTextFile(${JSON.stringify(path)}, JSON.stringify(state));
      file.close();
    `;
    await store(path).update((s) => void (s.retry = [entry("first")]));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", holder],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /held/);
    await store(path).update((s) => void (s.retry = [...(s.retry ?? []), entry("mine")]));
    reader.releaseLock();
    await child.stdout.cancel();
    assert.equal((await child.status).code, 0);
    const onDisk = (await store(path).load()).state;
    assert.deepEqual(onDisk.retry?.map((e) => e.id), ["first", "other", "mine"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
