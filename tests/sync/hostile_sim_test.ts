/**
 * Hostile listings and bodies from real SharePoint (real-sharepoint-quirks.md §3, §4, §10–§14,
 * §23), end to end: SyncJob, the real Graph client and the simulator over loopback HTTP.
 */
import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { GraphError } from "../../src/errors.ts";
import { stateStoreFor } from "../../src/state/job_state.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";
import { readPlaced, report, type SimFixture, simFixture } from "./sim_fixture.ts";

function atLevel(records: readonly LogRecord[], level: LogRecord["level"]): string[] {
  return messages(records.filter((r) => r.level === level));
}

async function savedState(f: SimFixture) {
  return (await stateStoreFor(f.settings, Date.now).load()).state;
}

/** Sleeps other than the request timeouts (5 s in the fixture): backoffs between attempts. */
const backoffs = (f: SimFixture) => f.clock.sleeps.filter((ms) => ms !== 5_000);

const deltaRequests = (f: SimFixture) => f.sim.requestLog.filter((e) => e.url.includes("/delta"));

Deno.test("hostile: an item without size is skipped with one warning, counted, the others placed, and offered again", async () => {
  await using logs = await recordLogs();
  await using f = await simFixture({
    files: [
      report("a.csv", 5, { size: 100 }),
      report("broken.csv", 5, { size: 100, quirks: { omit: "size" } }),
      report("b.csv", 5, { size: 100 }),
    ],
  });
  const first = await f.run();
  assert.deepEqual(first.downloaded.sort(), ["a.csv", "b.csv"]);
  assert.deepEqual(first.failed, []);
  assert.equal(first.skipped_malformed, 1);
  assert.equal(f.metrics.value("syncjob.skipped_malformed.count"), 1);
  const warned = atLevel(logs, "warning").filter((m) => m.includes("broken.csv"));
  assert.equal(warned.length, 1, warned.join("\n"));
  assert.match(warned[0]!, /^Skipped item \S+ \(broken\.csv\): it has no size/);
  assert.equal((await savedState(f)).malformed?.length, 1);

  // Still malformed: looked at again by id (the link does not report it), skipped again.
  const second = await f.run();
  assert.equal(second.skipped_malformed, 1);
  assert.deepEqual(second.downloaded, []);

  // Fixed in place (no change in the delta feed): the next run finds and places it.
  f.sim.setFileQuirks("Reports/broken.csv", undefined);
  const third = await f.run();
  assert.equal(third.listing, "folder_delta");
  assert.deepEqual(third.downloaded, ["broken.csv"]);
  assert.equal(third.skipped_malformed, 0);
  assert.equal((await savedState(f)).malformed, undefined);
});

Deno.test("hostile: children listing skips a nameless item and places the others", async () => {
  await using f = await simFixture({
    files: [report("a.csv", 5, { size: 10 }), report("x.csv", 5, { quirks: { omit: "name" } })],
  }, { listing: "children" });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["a.csv"]);
  assert.equal(result.skipped_malformed, 1);
  assert.deepEqual(await f.incoming(), ["a.csv"]);
});

Deno.test("hostile: a looping delta ends the run with 'keeps returning the same page'; the link is kept and the failure recorded", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5, { size: 10 })] });
  await f.run();
  const link = (await savedState(f)).listing?.delta_link;
  assert.ok(link);
  f.sim.addFile({ path: "Reports/b.csv", size: 10 });
  f.sim.setDeltaQuirks({ loop: "fresh-link" });
  await assert.rejects(
    f.run(),
    (e) =>
      e instanceof GraphError && e.exitCode === 1 &&
      /^Cannot list the changes of "\/Shared Documents\/Reports": the server keeps returning the same page/
        .test(e.message),
  );
  const state = await savedState(f);
  assert.equal(state.listing?.delta_link, link, "the saved link was not advanced");
  assert.match(state.listing_failure?.message ?? "", /keeps returning the same page/);
  assert.equal(f.metrics.value("syncjob.run.failure.count"), 1);

  f.sim.setDeltaQuirks({ loop: undefined });
  const after = await f.run();
  assert.deepEqual(after.downloaded, ["b.csv"]);
  assert.equal((await savedState(f)).listing_failure, undefined);
});

Deno.test("hostile: a folder whose delta always answers 410 is listed through root delta, remembered", async () => {
  await using logs = await recordLogs();
  await using f = await simFixture({
    files: [report("a.csv", 5, { size: 10 }), { path: "Other/x.csv", size: 10 }],
    deltaQuirks: { folderResync: true },
  });
  const first = await f.run();
  assert.equal(first.listing, "root_delta");
  assert.deepEqual(first.downloaded, ["a.csv"]);
  assert.ok(atLevel(logs, "warning").some((m) => m.includes("keeps answering 410")));
  assert.equal((await savedState(f)).listing?.mode, "root_delta");

  f.sim.addFile({ path: "Reports/b.csv", size: 10 });
  f.sim.clearRequestLog();
  const second = await f.run();
  assert.equal(second.listing, "root_delta");
  assert.deepEqual(second.downloaded, ["b.csv"]);
  assert.ok(deltaRequests(f).every((e) => e.url.includes("/root/delta")), "no folder delta tried");
});

Deno.test("hostile: a library whose root delta keeps answering 410 is listed with children for the run", async () => {
  await using logs = await recordLogs();
  await using f = await simFixture({
    files: [report("a.csv", 5, { size: 10 })],
    deltaQuirks: { folderResync: true, rootResync: true },
  });
  const first = await f.run();
  assert.equal(first.listing, "children");
  assert.deepEqual(first.downloaded, ["a.csv"]);
  assert.ok(
    atLevel(logs, "warning").some((m) => m.includes("listing") && m.includes("with children")),
  );
  const state = await savedState(f);
  assert.equal(state.listing?.mode, "root_delta");
  assert.equal(state.listing?.delta_link, undefined);

  f.sim.addFile({ path: "Reports/b.csv", size: 10 });
  const second = await f.run();
  assert.equal(second.listing, "children");
  assert.deepEqual(second.downloaded, ["b.csv"]);
});

Deno.test("hostile: an expired link whose Location answers 500 restarts from the tokenless URL", async () => {
  await using f = await simFixture({ files: [report("a.csv", 5, { size: 10 })] });
  await f.run();
  f.sim.expireDeltaLinks();
  f.sim.setDeltaQuirks({ brokenLocation: true });
  f.sim.addFile({ path: "Reports/b.csv", size: 10 });
  const result = await f.run();
  assert.equal(result.listing, "folder_delta");
  assert.deepEqual(result.downloaded, ["b.csv"]);
});

Deno.test("hostile: chunked bodies: a rewritten .xlsx is placed with the warning, a .csv verified and placed", async () => {
  await using logs = await recordLogs();
  await using f = await simFixture({
    files: [
      report("Q4.xlsx", 5, { size: 40_000, rewrite: {} }),
      report("data.csv", 5, { size: 40_000 }),
    ],
    downloadBodies: { chunked: true },
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded.sort(), ["Q4.xlsx", "data.csv"]);
  assert.equal(result.skipped_verification, 1);
  assert.ok(f.downloads().every((e) => e.headers["accept-encoding"] === "identity"));
  const warned = atLevel(logs, "warning");
  assert.ok(warned.some((m) => m.includes("Q4.xlsx") && m.includes("rewritten_extensions")));
  assert.ok(!warned.some((m) => m.includes("data.csv")));
  assert.equal((await readPlaced(f, "data.csv")).length, 40_000);
});

Deno.test("hostile: a 200 HTML page for a .pdf is not placed: retried, then reported", async () => {
  await using f = await simFixture({
    files: [report("report.pdf", 5, { size: 9_000, rewrite: {} }), report("ok.csv", 5)],
  }, { max_retries: 1 });
  f.sim.addFault({
    match: { server: "download", file: "report.pdf" },
    fault: {
      kind: "status",
      status: 200,
      contentType: "text/html; charset=utf-8",
      body: "<!DOCTYPE html><html><body>Something went wrong</body></html>",
    },
    times: Infinity,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["ok.csv"]);
  assert.equal(result.failed.length, 1);
  assert.match(result.failed[0]!.reason, /"report.pdf": the server answered with an HTML page/);
  assert.equal(f.downloads().filter((e) => e.fault === "status").length, 2, "retried once");
  assert.deepEqual(await f.incoming(), ["ok.csv"]);
  assert.deepEqual((await f.staged()).filter((n) => !n.startsWith(".")), []);
});

Deno.test("hostile: a malware item is requested at most once per run, reported once, and offered again only when it changes", async () => {
  await using logs = await recordLogs();
  await using f = await simFixture({
    files: [
      report("bad.csv", 5, { size: 100, quirks: { malware: { facet: false } } }),
      report("facet.pdf", 5, { size: 100, quirks: { malware: {} } }),
      report("ok.csv", 5, { size: 10 }),
    ],
  }, { listing: "children", max_retries: 3 });
  const first = await f.run();
  assert.deepEqual(first.downloaded, ["ok.csv"]);
  assert.deepEqual(first.failed, []);
  assert.equal(first.malware, 2);
  assert.equal(f.metrics.value("syncjob.malware.count"), 2);
  const downloads = f.downloads();
  assert.equal(downloads.length, 2, "bad.csv once (403), facet.pdf never, ok.csv once");
  assert.deepEqual(backoffs(f), [], "no backoff");
  const errors = atLevel(logs, "error");
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.ok(errors.every((m) => m.includes("flagged as malware by SharePoint")));

  f.sim.clearRequestLog();
  const second = await f.run();
  assert.equal(second.malware, 2);
  assert.equal(f.downloads().length, 0, "known and unchanged: not requested");
  assert.equal(atLevel(logs, "error").length, 2, "no new error line");

  f.sim.addFile({ path: "Reports/bad.csv", size: 120 });
  const third = await f.run();
  assert.deepEqual(third.downloaded, ["bad.csv"]);
  assert.equal(third.malware, 1);
});

Deno.test("hostile: a 403 that survives a URL refresh fails the file once, without backoff", async () => {
  await using f = await simFixture({
    files: [report("denied.csv", 5, { size: 10 }), report("ok.csv", 5, { size: 10 })],
  }, { max_retries: 3 });
  f.sim.addFault({
    match: { server: "download", file: "denied.csv" },
    fault: { kind: "status", status: 403, code: "accessDenied" },
    times: Infinity,
  });
  const result = await f.run();
  assert.deepEqual(result.downloaded, ["ok.csv"]);
  assert.match(result.failed[0]!.reason, /access denied \(403\) even with a fresh download URL/);
  assert.deepEqual(backoffs(f), []);
  assert.equal(f.downloads().filter((e) => e.status === 403).length, 2);
});

Deno.test("hostile: a 423 from the download host ends the run with one line", async () => {
  await using f = await simFixture({
    files: ["a", "b", "c", "d", "e"].map((n) => report(`${n}.csv`, 5, { size: 10 })),
  }, { download_concurrency: 1 });
  f.sim.addFault({
    match: { server: "download" },
    fault: { kind: "status", status: 423, code: "notAllowed" },
    times: Infinity,
  });
  await assert.rejects(
    f.run(),
    (e) =>
      e instanceof GraphError && e.status === 423 &&
      /locked or blocked by a SharePoint administrator/.test(e.message),
  );
  // Two files are in flight at once (download_concurrency 1 × 2); no further file is tried.
  assert.ok(f.downloads().length <= 2, `${f.downloads().length} download requests`);
  assert.deepEqual(await f.incoming(), []);
});
