import assert from "node:assert/strict";
import { join } from "node:path";
import type { RemoteFile } from "../../src/graph/sharepoint_client.ts";
import { JobStateStore } from "../../src/state/job_state.ts";
import { listedPartials, ResumablePartials } from "../../src/sync/partials.ts";
import { StagingArea } from "../../src/sync/placement.ts";
import { listNames } from "./fixture.ts";

const MIB = 1024 * 1024;
const NOW = Date.parse("2026-03-01T12:00:00Z");

function remote(fields: Partial<RemoteFile> = {}): RemoteFile {
  return {
    id: "01ITEM",
    driveId: "b!drive",
    name: "archive.zip",
    size: 10 * MIB,
    lastModified: new Date(NOW),
    created: new Date(NOW),
    quickXorHash: undefined,
    downloadUrl: undefined,
    eTag: '"{A},1"',
    cTag: undefined,
    ...fields,
  };
}

/** Counts state writes. */
class CountingStore extends JobStateStore {
  writes = 0;
  override update(change: Parameters<JobStateStore["update"]>[0]) {
    this.writes++;
    return super.update(change);
  }
}

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "ingest-partials-" });
  const stagingDir = join(dir, "staging");
  const staging = new StagingArea({ stagingDir, ingestionDir: join(dir, "incoming") });
  await staging.prepare();
  const state = new CountingStore({
    path: join(stagingDir, "ingest.state.json"),
    key: "k",
    now: () => NOW,
  });
  const partials = new ResumablePartials({ state, staging, now: () => NOW });
  return {
    dir,
    stagingDir,
    staging,
    state,
    partials,
    writes: () => state.writes,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("ResumablePartials.begin(): small or eTag-less files get no partial and cost no state access", async () => {
  await using t = await setup();
  assert.equal(await t.partials.begin(remote({ size: 4 * MIB - 1 })), undefined);
  assert.equal(await t.partials.begin(remote({ eTag: undefined })), undefined);
  assert.equal(t.writes(), 0);
  assert.deepEqual(await listNames(t.stagingDir), []);
});

Deno.test("ResumablePartials: recorded before the first byte, resumed on the same eTag, restarted on another", async () => {
  await using t = await setup();
  const path = await t.partials.begin(remote());
  assert.ok(path);
  assert.equal(t.writes(), 1);
  const [entry] = (await t.state.current()).partials ?? [];
  assert.deepEqual(entry, {
    id: "01ITEM",
    drive_id: "b!drive",
    etag: '"{A},1"',
    file: path.split(/[\\/]/).at(-1),
    name: "archive.zip",
    started_at: new Date(NOW).toISOString(),
  });
  assert.equal(await t.partials.begin(remote()), undefined, "one writer per partial");
  await Deno.writeTextFile(path, "first half");
  await t.partials.end(remote(), path, true);
  assert.equal(await Deno.readTextFile(path), "first half", "kept for the next attempt");
  assert.deepEqual(listedPartials(await t.state.current()), new Set([entry!.file]));

  assert.equal(await t.partials.begin(remote()), path, "same eTag: resume");
  assert.equal(t.writes(), 1, "resuming writes no state");
  await t.partials.end(remote(), path, true);

  assert.equal(await t.partials.begin(remote({ eTag: '"{A},2"' })), path, "another eTag");
  assert.equal(await Deno.stat(path).catch(() => undefined), undefined, "old bytes dropped");
  assert.equal((await t.state.current()).partials?.[0]?.etag, '"{A},2"');
  await Deno.writeTextFile(path, "new");
  await t.partials.end(remote(), path, false);
  assert.equal(await Deno.stat(path).catch(() => undefined), undefined);
  assert.equal((await t.state.current()).partials, undefined);
});

Deno.test("ResumablePartials: an entry naming another file starts over", async () => {
  await using t = await setup();
  await t.state.update((s) => {
    s.partials = [{
      id: "01ITEM",
      drive_id: "b!drive",
      etag: '"{A},1"',
      file: "default.0000.partial",
      name: "archive.zip",
      started_at: new Date(NOW).toISOString(),
    }];
  });
  const path = await t.partials.begin(remote());
  assert.ok(path && !path.endsWith("default.0000.partial"));
  assert.equal((await t.state.current()).partials?.length, 1);
  assert.equal((await t.state.current()).partials?.[0]?.file, path.split(/[\\/]/).at(-1));
  await t.partials.end(remote(), path, false);
});

Deno.test("ResumablePartials.removeStale(): drops entries without a file and partials idle for a week", async () => {
  await using t = await setup();
  const entry = (id: string, file: string) => ({
    id,
    drive_id: "b!drive",
    etag: '"{X},1"',
    file,
    name: `${id}.bin`,
    started_at: new Date(NOW).toISOString(),
  });
  await t.state.update((s) => {
    s.partials = [
      entry("fresh", "default.aa.partial"),
      entry("old", "default.bb.partial"),
      entry("missing", "default.cc.partial"),
    ];
  });
  for (const name of ["default.aa.partial", "default.bb.partial"]) {
    await Deno.writeTextFile(join(t.stagingDir, name), "x");
  }
  const old = new Date(NOW - 8 * 86_400_000);
  await Deno.utime(join(t.stagingDir, "default.bb.partial"), old, old);
  const fresh = new Date(NOW - 86_400_000);
  await Deno.utime(join(t.stagingDir, "default.aa.partial"), fresh, fresh);
  assert.deepEqual((await t.partials.removeStale()).sort(), ["missing.bin", "old.bin"]);
  assert.deepEqual((await t.state.current()).partials?.map((e) => e.id), ["fresh"]);
  assert.deepEqual(await listNames(t.stagingDir), [
    "default.aa.partial",
    "ingest.state.json",
    "ingest.state.json.lock",
  ]);
});
