import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { ConfigError, IngestError, UnsafeNameError } from "../../src/errors.ts";
import { IngestionDirError, StagingArea } from "../../src/sync/placement.ts";
import { listNames } from "./fixture.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";

const MTIME = new Date("2026-01-02T03:04:05.000Z");

async function area(
  extra: { link?: (from: string, to: string) => Promise<void>; os?: string } = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "ingest-place-" });
  const staging = new StagingArea({
    stagingDir: join(dir, "staging"),
    ingestionDir: join(dir, "incoming"),
    ...extra,
  });
  return {
    dir,
    staging,
    async temp(content: string): Promise<string> {
      const path = staging.tempPath();
      await Deno.writeTextFile(path, content);
      return path;
    },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("StagingArea.prepare() creates both folders and removes only this job's leftovers", async () => {
  await using a = await area();
  const staging = join(a.dir, "staging");
  await Deno.mkdir(staging);
  const names = [
    "dead.part", // legacy unprefixed temp of the default job
    "default.0b1c.part",
    "default.9f3e.partial", // not listed: removed
    "default.77aa.partial", // listed: kept
    "sales.0b1c.part", // another job's
    "sales.9f3e.partial",
    "ingest.state.json",
    "ingest-sales.state.json",
    "notes.txt",
  ];
  for (const name of names) await Deno.writeTextFile(join(staging, name), "x");
  const removed = await a.staging.prepare({ keep: new Set(["default.77aa.partial"]) });
  assert.deepEqual(removed.sort(), ["dead.part", "default.0b1c.part", "default.9f3e.partial"]);
  assert.deepEqual(await listNames(staging), [
    "default.77aa.partial",
    "ingest-sales.state.json",
    "ingest.state.json",
    "notes.txt",
    "sales.0b1c.part",
    "sales.9f3e.partial",
  ]);
  assert.deepEqual(await listNames(join(a.dir, "incoming")), []);
  const sales = new StagingArea({
    stagingDir: staging,
    ingestionDir: join(a.dir, "incoming"),
    job: "sales",
  });
  assert.deepEqual((await sales.removeLeftovers()).sort(), [
    "sales.0b1c.part",
    "sales.9f3e.partial",
  ]);
  assert.deepEqual(await listNames(staging), [
    "default.77aa.partial",
    "ingest-sales.state.json",
    "ingest.state.json",
    "notes.txt",
  ]);
});

Deno.test("StagingArea.tempPath() names fresh <job>.<uuid>.part files in the staging folder", async () => {
  await using a = await area();
  const one = a.staging.tempPath();
  assert.equal(dirname(one), join(a.dir, "staging"));
  assert.match(basename(one), /^default\.[0-9a-f-]{36}\.part$/);
  assert.notEqual(one, a.staging.tempPath());
});

Deno.test("StagingArea.partialName() is <job>.<digest>.partial, stable per item, distinct across items", async () => {
  await using a = await area();
  const name = a.staging.partialName("b!drive", "01ITEM");
  assert.match(name, /^default\.[0-9a-f]{32}\.partial$/);
  assert.equal(a.staging.partialName("b!drive", "01ITEM"), name);
  assert.notEqual(a.staging.partialName("b!drive", "01OTHER"), name);
  assert.notEqual(a.staging.partialName("b!other", "01ITEM"), name);
  assert.ok(a.staging.isOwnLeftover(name));
});

Deno.test("StagingArea.removeOwn() keeps resumable partials; place() removes a placed one", async () => {
  await using a = await area();
  await a.staging.prepare();
  const partial = a.staging.partialPath(a.staging.partialName("d", "i"));
  await Deno.writeTextFile(partial, "resumable");
  const temp = await a.temp("throw-away");
  await a.staging.removeOwn();
  assert.deepEqual(await listNames(join(a.dir, "staging")), [partial.split(/[\\/]/).at(-1)!]);
  assert.ok(!(await Deno.stat(temp).then(() => true, () => false)));
  assert.equal(await a.staging.place(partial, "big.bin", MTIME), "placed");
  assert.deepEqual(await listNames(join(a.dir, "staging")), []);
  assert.equal(await Deno.readTextFile(join(a.dir, "incoming", "big.bin")), "resumable");
});

Deno.test("StagingArea.place() dates the file, moves it into ingestion_dir and drops the temp", async () => {
  await using a = await area();
  await a.staging.prepare();
  const temp = await a.temp("payload");
  assert.equal(await a.staging.place(temp, "a.csv", MTIME), "placed");
  const final = join(a.dir, "incoming", "a.csv");
  assert.equal(await Deno.readTextFile(final), "payload");
  assert.equal((await Deno.stat(final)).mtime?.toISOString(), MTIME.toISOString());
  assert.deepEqual(await listNames(join(a.dir, "staging")), []);
});

Deno.test("StagingArea.place() never replaces an existing file", async () => {
  await using a = await area();
  await a.staging.prepare();
  await Deno.writeTextFile(join(a.dir, "incoming", "a.csv"), "original");
  const temp = await a.temp("newer");
  assert.equal(await a.staging.place(temp, "a.csv", MTIME), "exists");
  assert.equal(await Deno.readTextFile(join(a.dir, "incoming", "a.csv")), "original");
  assert.deepEqual(await listNames(join(a.dir, "staging")), []);
});

Deno.test("StagingArea.place(): of two racing placements of one name exactly one wins", async () => {
  await using a = await area();
  await a.staging.prepare();
  for (let round = 0; round < 20; round++) {
    const name = `race-${round}.csv`;
    const [t1, t2] = [await a.temp("one"), await a.temp("two")];
    const outcomes = await Promise.all([
      a.staging.place(t1, name, MTIME),
      a.staging.place(t2, name, MTIME),
    ]);
    assert.deepEqual([...outcomes].sort(), ["exists", "placed"]);
    const winner = outcomes[0] === "placed" ? "one" : "two";
    assert.equal(await Deno.readTextFile(join(a.dir, "incoming", name)), winner);
  }
  assert.deepEqual(await listNames(join(a.dir, "staging")), []);
});

Deno.test("StagingArea.place() falls back to a checked rename where hard links are unsupported", async () => {
  const unsupported = () => Promise.reject(new Deno.errors.NotSupported("no hard links here"));
  await using a = await area({ link: unsupported });
  await a.staging.prepare();
  assert.equal(await a.staging.place(await a.temp("first"), "a.csv", MTIME), "placed");
  assert.equal(await a.staging.place(await a.temp("second"), "a.csv", MTIME), "exists");
  assert.equal(await Deno.readTextFile(join(a.dir, "incoming", "a.csv")), "first");
  assert.deepEqual(await listNames(join(a.dir, "staging")), []);
  const exdev = Object.assign(new Error("Invalid cross-device link (os error 18)"), {
    code: "EXDEV",
  });
  await using b = await area({ link: () => Promise.reject(exdev) });
  await b.staging.prepare();
  assert.equal(await b.staging.place(await b.temp("x"), "b.csv", MTIME), "placed");
});

Deno.test("StagingArea.place() turns a denied link into one run-wide error and keeps ingestion_dir clean", async () => {
  const denied = Object.assign(
    new Deno.errors.PermissionDenied("Permission denied (os error 13)"),
    {
      code: "EACCES",
    },
  );
  await using a = await area({ link: () => Promise.reject(denied) });
  await a.staging.prepare();
  const temp = await a.temp("x");
  await assert.rejects(a.staging.place(temp, "a.csv", MTIME), IngestionDirError);
  assert.deepEqual(await listNames(join(a.dir, "incoming")), []);
});

Deno.test("StagingArea.finalPath() refuses names that would leave ingestion_dir", async () => {
  await using a = await area();
  assert.equal(a.staging.finalPath("a.csv"), join(a.dir, "incoming", "a.csv"));
  for (const name of ["../a.csv", "..", "sub/a.csv", "sub\\a.csv", ""]) {
    assert.throws(() => a.staging.finalPath(name), UnsafeNameError, name);
  }
  assert.throws(() => a.staging.isPending("../incoming"), UnsafeNameError);
});

Deno.test("StagingArea.finalPath() applies the name rules of its OS", async () => {
  await using windows = await area({ os: "windows" });
  for (const name of ["CON", "nul.txt", "COM¹.csv", "report.", "a:b.csv"]) {
    assert.throws(() => windows.staging.finalPath(name), UnsafeNameError, name);
  }
  await using linux = await area({ os: "linux" });
  for (const name of ["CON", "nul.txt", "report.", "a:b.csv"]) {
    assert.equal(linux.staging.finalPath(name), join(linux.dir, "incoming", name));
  }
});

Deno.test("StagingArea.place() warns when the placed path is longer than 259 characters", async () => {
  await using logs = await recordLogs();
  await using a = await area();
  await a.staging.prepare();
  const long = `${"y".repeat(250)}.csv`;
  assert.ok(join(a.dir, "incoming", "a.csv").length <= 259, "the temporary folder is too deep");
  for (const name of ["a.csv", long]) {
    assert.equal(await a.staging.place(await a.temp(name), name, MTIME), "placed");
  }
  const warnings = logs.filter((r) => r.level === "warning");
  assert.equal(warnings.length, 1, messages(logs).join("\n"));
  assert.match(messages(warnings)[0]!, /path of \d+ characters.*longer than 259/);
  assert.equal(warnings[0]!.properties.file, long);
});

Deno.test("StagingArea.isPending() sees files and folders already in ingestion_dir", async () => {
  await using a = await area();
  await a.staging.prepare();
  await Deno.writeTextFile(join(a.dir, "incoming", "f.csv"), "");
  await Deno.mkdir(join(a.dir, "incoming", "d.csv"));
  assert.equal(a.staging.isPending("f.csv"), true);
  assert.equal(a.staging.isPending("d.csv"), true);
  assert.equal(a.staging.isPending("g.csv"), false);
});

Deno.test("StagingArea.isPending() follows the volume's name rules for another case", async () => {
  await using a = await area();
  await a.staging.prepare();
  await Deno.writeTextFile(join(a.dir, "incoming", "Report.csv"), "");
  const caseInsensitive = Deno.build.os === "windows" || Deno.build.os === "darwin";
  assert.equal(a.staging.isPending("report.CSV"), caseInsensitive);
  assert.equal(a.staging.isPending("Report.csv"), true);
});

Deno.test("StagingArea.prepare() refuses a staging_dir that is the ingestion_dir", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const same = new StagingArea({
      stagingDir: join(dir, "in"),
      ingestionDir: join(dir, "in", "."),
    });
    await assert.rejects(same.prepare(), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StagingArea.prepare() fails with IngestError when a folder cannot be created", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "file"), "");
    const blocked = new StagingArea({
      stagingDir: join(dir, "staging"),
      ingestionDir: join(dir, "file", "in"),
    });
    await assert.rejects(blocked.prepare(), (error: unknown) => {
      assert.ok(error instanceof IngestError);
      assert.ok(
        error.message.startsWith(`Cannot use ingestion_dir ${join(dir, "file", "in")}: `),
        error.message,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StagingArea.prepare() refuses a staging_dir on another volume with a clear message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const [stagingDir, ingestionDir] = [join(dir, "staging"), join(dir, "in")];
    const split = new StagingArea({
      stagingDir,
      ingestionDir,
      stat: async (path) => ({
        ...(await Deno.stat(path)),
        dev: path.endsWith("staging") ? 27 : 65024,
      }),
    });
    await assert.rejects(split.prepare(), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(
        error.message,
        `Cannot use staging_dir ${stagingDir}: it is on another volume than ingestion_dir ${ingestionDir}; set staging_dir to a folder on the same drive`,
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StagingArea leaves another run's temporary files alone: prepare without cleanup, removeOwn", async () => {
  await using a = await area();
  await a.staging.prepare();
  const other = new StagingArea({
    stagingDir: join(a.dir, "staging"),
    ingestionDir: join(a.dir, "incoming"),
  });
  const othersTemp = other.tempPath();
  await Deno.writeTextFile(othersTemp, "in flight");
  assert.deepEqual(await a.staging.prepare({ removeLeftovers: false }), []);
  const mine = await a.temp("mine");
  await a.staging.removeOwn();
  assert.deepEqual(await listNames(join(a.dir, "staging")), [othersTemp.split(/[\\/]/).at(-1)!]);
  assert.ok(!(await Deno.stat(mine).then(() => true, () => false)));
});

Deno.test("StagingArea.place() removes the temporary file once, and discard() after it touches nothing", async () => {
  await using a = await area();
  await a.staging.prepare();
  const temp = await a.temp("payload");
  assert.equal(await a.staging.place(temp, "r.csv", MTIME), "placed");
  await Deno.writeTextFile(temp, "a new file that reuses the name");
  await a.staging.discard(temp);
  assert.equal(await Deno.readTextFile(temp), "a new file that reuses the name");
});
