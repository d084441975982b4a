/**
 * Integrity against real SharePoint behaviour, through SyncJob, the real Graph client and the
 * simulator: files SharePoint rewrites, missing hashes, and downloads resumed across attempts
 * and runs with Range requests.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { LogRecord } from "@logtape/logtape";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import { listSimFolder } from "../../bench/sim_listing.ts";
import { stateStoreFor } from "../../src/state/job_state.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";
import { readPlaced, report, type SimFixture, simFixture } from "./sim_fixture.ts";

const MIB = 1024 * 1024;

function warnings(records: readonly LogRecord[]): string[] {
  return messages(records.filter((r) => r.level === "warning"));
}

/** The job's state as on disk. */
async function savedState(f: SimFixture) {
  return (await stateStoreFor(f.settings, Date.now).load()).state;
}

/** The `Range` headers the download origin received, in order (undefined = none). */
function ranges(f: SimFixture): (string | undefined)[] {
  return f.downloads().map((e) => e.headers.range);
}

async function partialsIn(f: SimFixture): Promise<string[]> {
  return (await f.staged()).filter((n) => n.endsWith(".partial"));
}

Deno.test("sim: a rewritten .xlsx is placed with a warning; a truncated .xlsx and a corrupted .csv are not; a missing hash is size-verified", async () => {
  await using logs = await recordLogs();
  await using f = await simFixture({
    files: [
      report("Q4 forecast.xlsx", 5, { size: 50_000, rewrite: {} }),
      report("cut.xlsx", 5, { size: 60_000 }),
      report("data.csv", 5, { size: 40_000 }),
      report("legacy.csv", 5, { size: 3_000, noHash: true }),
    ],
  }, { max_retries: 1 });
  f.sim.addFault({
    match: { server: "download", file: "cut.xlsx" },
    fault: { kind: "truncate", afterBytes: 20_000 },
    times: Infinity,
  });
  f.sim.addFault({
    match: { server: "download", file: "data.csv" },
    fault: { kind: "corrupt" },
    times: Infinity,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded.sort(), ["Q4 forecast.xlsx", "legacy.csv"]);
  assert.deepEqual(result.failed.map((x) => x.name).sort(), ["cut.xlsx", "data.csv"]);
  assert.match(
    result.failed.find((x) => x.name === "cut.xlsx")!.reason,
    /the transfer broke after \d+ of 60000 bytes/,
  );
  assert.match(result.failed.find((x) => x.name === "data.csv")!.reason, /QuickXorHash is/);
  assert.equal(result.skipped_verification, 1);
  assert.equal(f.metrics.value("syncjob.skipped_verification.count"), 1);
  assert.deepEqual(await f.incoming(), ["Q4 forecast.xlsx", "legacy.csv"]);

  const placed = await readPlaced(f, "Q4 forecast.xlsx");
  assert.equal(placed.length, 50_012, "the served (rewritten) bytes are placed");
  const listedHash = quickXorHash(placed.subarray(0, 50_000));
  const warning = warnings(logs).find((m) => m.includes("Q4 forecast.xlsx"));
  assert.ok(warning, warnings(logs).join("\n"));
  for (const part of ["50012", "50000", quickXorHash(placed), listedHash, "rewritten_extensions"]) {
    assert.ok(warning.includes(part), `warning lacks ${part}: ${warning}`);
  }
  const debug = messages(logs.filter((r) => r.level === "debug"));
  assert.ok(debug.some((m) => m.includes("legacy.csv") && m.includes("size only")));
  assert.deepEqual(await partialsIn(f), []);
});

Deno.test("sim: rewritten_extensions = [] makes a rewritten .xlsx an integrity failure", async () => {
  await using f = await simFixture({
    files: [report("Q4.xlsx", 5, { size: 10_000, rewrite: { growBy: 0 } })],
  }, { max_retries: 0, rewritten_extensions: [] });
  const result = await f.run();
  assert.deepEqual(result.downloaded, []);
  assert.match(result.failed[0]!.reason, /^Cannot verify "Q4.xlsx": QuickXorHash is /);
  assert.equal(result.skipped_verification, 0);
  assert.deepEqual(await f.incoming(), []);
});

Deno.test("sim: a large download broken mid-way resumes with Range in the next attempt", async () => {
  await using f = await simFixture({ files: [report("big.bin", 5, { size: 6 * MIB + 123 })] });
  f.sim.addFault({
    match: { server: "download", file: "big.bin" },
    fault: { kind: "truncate", afterBytes: 2 * MIB + 7 },
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["big.bin"]);
  const sent = ranges(f);
  assert.equal(sent.length, 2);
  assert.equal(sent[0], undefined);
  const offset = Number(/^bytes=(\d+)-$/.exec(sent[1] ?? "")?.[1]);
  assert.ok(offset > 0 && offset <= 2 * MIB + 7, `resumed at ${sent[1]}`);
  assert.equal(f.downloads()[1]!.status, 206);
  assert.equal(
    quickXorHash(await readPlaced(f, "big.bin")),
    await listedHash(f, "big.bin"),
  );
  assert.deepEqual(await partialsIn(f), []);
  assert.equal((await savedState(f)).partials, undefined, "the entry is gone once placed");
});

Deno.test("sim: a failed large download is kept for the next run, which resumes it; a changed eTag starts over", async () => {
  await using f = await simFixture({
    files: [report("a.bin", 5, { size: 5 * MIB }), report("b.bin", 5, { size: 5 * MIB })],
  }, { max_retries: 0 });
  for (const file of ["a.bin", "b.bin"]) {
    f.sim.addFault({
      match: { server: "download", file },
      fault: { kind: "truncate", afterBytes: 3 * MIB },
    });
  }
  const first = await f.run();
  assert.deepEqual(first.failed.map((x) => x.name).sort(), ["a.bin", "b.bin"]);
  assert.equal((await partialsIn(f)).length, 2);
  const entries = (await savedState(f)).partials ?? [];
  assert.deepEqual(entries.map((e) => e.name).sort(), ["a.bin", "b.bin"]);
  assert.deepEqual((await partialsIn(f)).sort(), entries.map((e) => e.file).sort());

  f.sim.addFile({ path: "Reports/b.bin", size: 5 * MIB, seed: 42 });
  f.sim.clearRequestLog();
  const second = await f.run();
  assert.deepEqual(second.downloaded.sort(), ["a.bin", "b.bin"]);
  const sent = ranges(f).sort();
  assert.equal(sent.filter((r) => r !== undefined).length, 1, `ranges: ${sent}`);
  assert.match(sent.find((r) => r !== undefined)!, /^bytes=[1-9]\d*-$/);
  for (const name of ["a.bin", "b.bin"]) {
    assert.equal(quickXorHash(await readPlaced(f, name)), await listedHash(f, name), name);
  }
  assert.deepEqual(await partialsIn(f), []);
  assert.equal((await savedState(f)).partials, undefined);
});

Deno.test("sim: a server that ignores Range (200) makes the resume start over, byte-exact", async () => {
  await using f = await simFixture({ files: [report("big.bin", 5, { size: 5 * MIB })] });
  f.sim.addFault({
    match: { server: "download", file: "big.bin" },
    fault: { kind: "truncate", afterBytes: 3 * MIB },
  });
  f.sim.addFault({
    match: { server: "download", file: "big.bin" },
    fault: { kind: "ignore-range" },
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["big.bin"]);
  const log = f.downloads();
  assert.equal(log.length, 2);
  assert.match(log[1]!.headers.range ?? "", /^bytes=\d+-$/);
  assert.equal(log[1]!.status, 200);
  assert.equal(log[1]!.fault, "ignore-range");
  const placed = await readPlaced(f, "big.bin");
  assert.equal(placed.length, 5 * MIB);
  assert.equal(quickXorHash(placed), await listedHash(f, "big.bin"));
});

Deno.test("sim: startup drops partials of items gone for a week and files the state does not list", async () => {
  await using f = await simFixture({ files: [report("gone.bin", 5, { size: 5 * MIB })] }, {
    max_retries: 0,
  });
  f.sim.addFault({
    match: { server: "download", file: "gone.bin" },
    fault: { kind: "truncate", afterBytes: MIB },
  });
  await f.run();
  const [partial] = await partialsIn(f);
  assert.ok(partial);
  const stray = join(f.settings.staging_dir, "default.0123456789abcdef.partial");
  await Deno.writeTextFile(stray, "not listed");
  f.sim.removeItem("Reports/gone.bin");
  await f.run();
  assert.deepEqual(await partialsIn(f), [partial], "a recent partial is kept, the stray removed");
  const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
  await Deno.utime(join(f.settings.staging_dir, partial), eightDaysAgo, eightDaysAgo);
  await f.run();
  assert.deepEqual(await partialsIn(f), []);
  assert.equal((await savedState(f)).partials, undefined);
});

async function listedHash(f: SimFixture, name: string): Promise<string> {
  const listing = await listSimFolder(f.sim, f.settings.sharepoint_folder);
  const file = listing.files.find((x) => x.name === name);
  assert.ok(file?.quickXorHash, `no hash listed for ${name}`);
  return file.quickXorHash;
}
