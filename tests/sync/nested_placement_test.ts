/**
 * `StagingArea` with relative names (`include_subfolders`, mirror layout): folders created as
 * needed, no overwrite, nothing ever written outside `ingestion_dir`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { UnsafeNameError } from "../../src/errors.ts";
import { StagingArea } from "../../src/sync/placement.ts";
import { listNames } from "./fixture.ts";

const MTIME = new Date("2026-01-02T03:04:05.000Z");

async function nestedArea(options: { os?: string; nested?: boolean } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ingest-nested-" });
  const staging = new StagingArea({
    stagingDir: join(dir, "staging"),
    ingestionDir: join(dir, "incoming"),
    nested: options.nested ?? true,
    ...(options.os === undefined ? {} : { os: options.os }),
  });
  await staging.prepare();
  return {
    dir,
    staging,
    incoming: join(dir, "incoming"),
    async temp(content: string): Promise<string> {
      const path = staging.tempPath();
      await Deno.writeTextFile(path, content);
      return path;
    },
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

Deno.test("nested placement: creates the folders, places atomically, never overwrites", async () => {
  await using a = await nestedArea();
  assert.equal(a.staging.isPending("2026/12/x.csv"), false);
  const first = await a.temp("december");
  assert.equal(await a.staging.place(first, "2026/12/x.csv", MTIME), "placed");
  assert.equal(await Deno.readTextFile(join(a.incoming, "2026", "12", "x.csv")), "december");
  assert.equal(
    (await Deno.stat(join(a.incoming, "2026", "12", "x.csv"))).mtime?.getTime(),
    MTIME.getTime(),
  );
  assert.equal(a.staging.isPending("2026/12/x.csv"), true);
  // Case-insensitively too on a case-insensitive volume; exact here.
  const second = await a.temp("other bytes");
  assert.equal(await a.staging.place(second, "2026/12/x.csv", MTIME), "exists");
  assert.equal(await Deno.readTextFile(join(a.incoming, "2026", "12", "x.csv")), "december");
  // Same file name in another folder: its own file.
  const third = await a.temp("november");
  assert.equal(await a.staging.place(third, "2026/11/x.csv", MTIME), "placed");
  assert.equal(await Deno.readTextFile(join(a.incoming, "2026", "11", "x.csv")), "november");
  await a.staging.flush();
  assert.deepEqual(await listNames(join(a.dir, "staging")), []);
});

Deno.test("nested placement: unsafe segments are refused before anything is written", async () => {
  await using a = await nestedArea({ os: "windows" });
  for (
    const name of ["../x.csv", "a/../../x.csv", "CON/x.csv", "a./x.csv", "a//x.csv", "a/b:c/x"]
  ) {
    assert.throws(() => a.staging.finalPath(name), UnsafeNameError, name);
    const temp = await a.temp("x");
    await assert.rejects(a.staging.place(temp, name, MTIME), UnsafeNameError, name);
    a.staging.discard(temp);
  }
  assert.deepEqual(await listNames(a.incoming), []);
  assert.deepEqual(await listNames(a.dir), ["incoming", "staging"]);
});

Deno.test("nested placement: a name with / is refused when the layout is not mirror", async () => {
  await using a = await nestedArea({ nested: false });
  assert.throws(() => a.staging.finalPath("2026/x.csv"), UnsafeNameError);
  assert.throws(() => a.staging.isPending("2026/x.csv"), UnsafeNameError);
});

Deno.test({
  name: "nested placement: a folder in ingestion_dir that links outside is refused",
  ignore: Deno.build.os === "windows", // creating symlinks needs a privilege there
  fn: async () => {
    await using a = await nestedArea();
    const outside = join(a.dir, "outside");
    await Deno.mkdir(outside);
    await Deno.symlink(outside, join(a.incoming, "2026"));
    const temp = await a.temp("x");
    await assert.rejects(
      a.staging.place(temp, "2026/12/x.csv", MTIME),
      (error: unknown) =>
        error instanceof UnsafeNameError && /outside ingestion_dir/.test(error.message),
    );
    a.staging.discard(temp);
    // The folder may have been created through the link, but no file was written there.
    const written: string[] = [];
    for await (const entry of Deno.readDir(outside)) {
      if (entry.isFile) written.push(entry.name);
      else {for await (const inner of Deno.readDir(join(outside, entry.name))) {
          written.push(inner.name);
        }}
    }
    assert.deepEqual(written, []);
  },
});

Deno.test("nested placement: a file where a folder should be makes the name not pending", async () => {
  await using a = await nestedArea();
  await Deno.writeTextFile(join(a.incoming, "2026"), "a file, not a folder");
  assert.equal(a.staging.isPending("2026/12/x.csv"), false);
  const temp = await a.temp("x");
  await assert.rejects(a.staging.place(temp, "2026/12/x.csv", MTIME));
  a.staging.discard(temp);
  assert.equal(await Deno.readTextFile(join(a.incoming, "2026")), "a file, not a folder");
});
