/**
 * Delta listing against the simulator over loopback HTTP: what each run places is what children
 * paging places, at a fraction of the requests.
 */
import assert from "node:assert/strict";
import { windowRequest } from "../../src/commands/run_cmds.ts";
import { stateStoreFor } from "../../src/state/job_state.ts";
import type { SimFileSpec } from "../../src/sim/types.ts";
import { messages, recordLogs } from "../schedule/scheduler_fakes.ts";
import { modesFixture } from "./delta_fixture.ts";
import { minutesAgo, report } from "./sim_fixture.ts";

const sorted = (names: string[]) => [...names].sort();

type Fixture = Awaited<ReturnType<typeof modesFixture>>;

/** Lets `min_age_seconds` pass before the runs. */
function settle(f: Fixture, _id: string): void {
  f.clock.advance(120_000);
}

/**
 * A change applied to the simulator between two runs, and the names both modes must place; where
 * they differ (an arrival with old dates that only delta can see), `childrenPlaced`.
 */
interface Step {
  name: string;
  change: (f: Fixture) => void | Promise<void>;
  placed: string[];
  childrenPlaced?: string[];
  failed?: string[];
}

const STEPS: Step[] = [
  { name: "nothing changed", change: () => {}, placed: [] },
  {
    name: "a file is added",
    change: (f) => void f.sim.addFile(report("new.csv", 1)),
    placed: ["new.csv"],
  },
  {
    name: "a file is modified (its name was ingested)",
    change: (f) => void f.sim.addFile(report("a.csv", 1, { size: 77 })),
    placed: [],
  },
  {
    name: "a file that was never placed is modified into the window",
    change: (f) => void f.sim.addFile(report("old.csv", 1)),
    placed: ["old.csv"],
  },
  { name: "a file is deleted", change: (f) => void f.sim.removeItem("Reports/b.csv"), placed: [] },
  {
    name: "a file this job placed is renamed (a new name for the watcher: placed again)",
    change: (f) => settle(f, f.sim.moveItem("Reports/c.csv", "Reports/c-renamed.csv")),
    placed: ["c-renamed.csv"],
  },
  {
    name: "a file with old dates is moved into the folder (delta: arrived, held by min age)",
    change: (f) => void f.sim.moveItem("Other/outside.csv", "Reports/moved-in.csv"),
    placed: [],
  },
  {
    name: "time passes: the moved-in file is placed by delta; children cannot see a native move",
    change: (f) => void (f.clock.advance(120_000)),
    placed: ["moved-in.csv"],
    childrenPlaced: [],
  },
  {
    name: "a file is moved out of the folder",
    change: (f) => void f.sim.moveItem("Reports/d.csv", "Other/d.csv"),
    placed: [],
  },
  {
    name: "a file is added to a subfolder",
    change: (f) => void f.sim.addFile(report("Sub/deep.csv", 1)),
    placed: [],
  },
  {
    name: "a subfolder's file is moved up into the folder",
    change: (f) => settle(f, f.sim.moveItem("Reports/Sub/deep.csv", "Reports/deep.csv")),
    placed: ["deep.csv"],
  },
  {
    name: "a file is added and deleted again between runs",
    change: (f) => {
      f.sim.addFile(report("ghost.csv", 1));
      f.sim.removeItem("Reports/ghost.csv");
    },
    placed: [],
  },
  {
    name: "a file whose download fails",
    change: (f) => {
      f.sim.addFile(report("flaky.csv", 1, { size: 10 }));
      f.sim.addFault({
        match: { server: "download", file: "flaky.csv" },
        fault: { kind: "status", status: 500 },
        times: 2,
      });
    },
    placed: [],
    failed: ["flaky.csv"],
  },
  {
    name: "the failed file is offered again although it did not change",
    change: () => {},
    placed: ["flaky.csv"],
  },
  {
    name: "a file still being uploaded (min age), then old enough",
    change: (f) => {
      f.sim.addFile({ path: "Reports/young.csv", lastModified: new Date(f.clock.now() - 10_000) });
    },
    placed: [],
  },
  {
    name: "time passes: the young file is offered again",
    change: (f) => void (f.clock.advance(120_000)),
    placed: ["young.csv"],
  },
  {
    name: "the delta link expires (410)",
    change: (f) => {
      f.sim.expireDeltaLinks();
      f.sim.addFile(report("after-expiry.csv", 1));
    },
    placed: ["after-expiry.csv"],
  },
];

Deno.test("delta places exactly what children paging places over a table of changes", async () => {
  const seed: SimFileSpec[] = [
    report("a.csv", 20),
    report("b.csv", 20),
    report("c.csv", 20),
    report("d.csv", 20),
    report("old.csv", 60 * 24 * 3),
    { path: "Other/outside.csv", lastModified: minutesAgo(600) },
  ];
  await using f = await modesFixture({ files: seed }, { min_age_seconds: 60 });
  const first = [await f.children.run(), await f.delta.run()];
  assert.deepEqual(sorted(first[0]!.downloaded), ["a.csv", "b.csv", "c.csv", "d.csv"]);
  assert.deepEqual(sorted(first[1]!.downloaded), sorted(first[0]!.downloaded));
  await f.consume();
  for (const step of STEPS) {
    await step.change(f);
    const children = await f.children.run();
    const delta = await f.delta.run();
    const childrenPlaced = step.childrenPlaced ?? step.placed;
    assert.deepEqual(sorted(children.downloaded), sorted(childrenPlaced), `children: ${step.name}`);
    assert.deepEqual(sorted(delta.downloaded), sorted(step.placed), `delta: ${step.name}`);
    const failed = (r: typeof delta) => sorted(r.failed.map((x) => x.name));
    assert.deepEqual(failed(children), step.failed ?? [], `children failed: ${step.name}`);
    assert.deepEqual(failed(delta), step.failed ?? [], `delta failed: ${step.name}`);
    assert.equal(delta.listing, "folder_delta", step.name);
    await f.consume();
  }
});

Deno.test("after a full first run over 20,000 items, idle ≤ 2 and one new file ≤ 3 requests", async () => {
  const files: SimFileSpec[] = [];
  for (let i = 0; i < 20_000; i++) {
    files.push(report(`item-${String(i).padStart(5, "0")}.csv`, i < 19_990 ? 60 * 24 * 5 : 30));
  }
  await using f = await modesFixture({ files });
  const full = await f.delta.run();
  const fullChildren = await f.children.run();
  assert.equal(full.listed, 20_000);
  assert.equal(full.downloaded.length, 10);
  assert.deepEqual(sorted(full.downloaded), sorted(fullChildren.downloaded));
  await f.consume();

  let mark = f.sim.requestLog.length;
  const idle = await f.delta.run();
  assert.deepEqual(idle.downloaded, []);
  assert.ok(f.graphSince(mark).length <= 2, `idle: ${f.graphSince(mark).length} requests`);
  assert.equal(idle.graph_requests, 1);
  assert.equal(idle.graph_resource_units, 1);

  f.sim.addFile(report("fresh.csv", 1, { size: 1000 }));
  mark = f.sim.requestLog.length;
  const one = await f.delta.run();
  assert.deepEqual(one.downloaded, ["fresh.csv"]);
  assert.ok(f.graphSince(mark).length <= 3, `one new: ${f.graphSince(mark).length} requests`);
  const children = await f.children.run();
  assert.deepEqual(children.downloaded, ["fresh.csv"]);
  assert.ok(children.graph_requests >= 20, `children: ${children.graph_requests} requests`);
  assert.equal(children.graph_resource_units, 2 * children.graph_requests);
});

Deno.test("a refused folder delta (501) falls back to root delta, remembered in the state", async () => {
  await using f = await modesFixture({
    files: [report("a.csv", 5), { path: "Other/x.csv", lastModified: minutesAgo(5) }],
    folderDelta: false,
  });
  await using logs = await recordLogs();
  const first = await f.delta.run();
  assert.deepEqual(first.downloaded, ["a.csv"]);
  assert.equal(first.listing, "root_delta");
  assert.ok(messages(logs).some((m) => /Graph refused delta on folder .*501/.test(m)));
  await f.consume();
  f.sim.addFile(report("b.csv", 1));
  f.sim.addFile({ path: "Other/y.csv", lastModified: minutesAgo(1) });
  const mark = f.sim.requestLog.length;
  const second = await f.delta.run();
  assert.deepEqual(second.downloaded, ["b.csv"]);
  assert.equal(second.listing, "root_delta");
  const requests = f.graphSince(mark);
  assert.equal(requests.length, 1);
  assert.match(requests[0]!.url, /\/root\/delta\?token=/);
  assert.ok(!requests.some((r) => r.status === 501));
});

Deno.test("an expired link (410) is enumerated again in the same run with one warning", async () => {
  await using f = await modesFixture({ files: [report("a.csv", 5)] });
  await f.delta.run();
  await f.consume();
  f.sim.expireDeltaLinks();
  f.sim.addFile(report("b.csv", 1));
  await using logs = await recordLogs();
  const result = await f.delta.run();
  assert.deepEqual(result.downloaded, ["b.csv"]);
  const warnings = messages(logs.filter((r) => r.level === "warning"));
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0]!, /delta link .* is no longer valid .*410.*listing the folder in full/);
  const again = await f.delta.run();
  assert.deepEqual(again.downloaded, []);
  assert.equal(again.graph_requests, 1);
});

Deno.test("a corrupt state file means one full listing and a warning, never a failure", async () => {
  await using f = await modesFixture({ files: [report("a.csv", 5)] });
  await f.delta.run();
  await f.consume();
  await Deno.writeTextFile(f.delta.settings.state_file, "{ not json");
  f.sim.addFile(report("b.csv", 1));
  await using logs = await recordLogs();
  const result = await f.delta.run();
  assert.deepEqual(result.downloaded, ["b.csv"]);
  assert.ok(messages(logs).some((m) => /Cannot use the state file .*not valid JSON/.test(m)));
  assert.ok(messages(logs).some((m) => /Listing .* in full .*no saved delta link/.test(m)));
});

Deno.test("a deleted folder fails the run clearly; a re-created one is found again in one run", async () => {
  await using f = await modesFixture({ files: [report("a.csv", 5)] });
  await f.delta.run();
  await f.consume();
  f.sim.removeItem("Reports");
  await using logs = await recordLogs();
  await assert.rejects(f.delta.run(), /Cannot resolve folder .*has no folder "Reports"/);
  assert.ok(
    messages(logs).some((m) => /Cannot find folder .* by its saved id .*re-created/.test(m)),
  );
  f.sim.addFile(report("again.csv", 1));
  const recreated = await f.delta.run();
  assert.deepEqual(recreated.downloaded, ["again.csv"]);
  const idle = await f.delta.run();
  assert.equal(idle.graph_requests, 1);
});

Deno.test("a folder deleted and re-created between runs is resolved again in the same run", async () => {
  await using f = await modesFixture({ files: [report("a.csv", 5)] });
  await f.delta.run();
  await f.children.run();
  await f.consume();
  f.sim.removeItem("Reports");
  f.sim.addFile(report("b.csv", 1));
  await using logs = await recordLogs();
  const delta = await f.delta.run();
  const children = await f.children.run();
  assert.deepEqual(delta.downloaded, ["b.csv"]);
  assert.deepEqual(children.downloaded, ["b.csv"]);
  const resolvedAgain = messages(logs).filter((m) =>
    /by its saved id .*resolving it again/.test(m)
  );
  assert.equal(resolvedAgain.length, 2);
});

Deno.test("--full and catch-up runs ignore the saved link, then store a fresh one", async () => {
  await using f = await modesFixture({ files: [report("a.csv", 5), report("b.csv", 30)] });
  await f.delta.run();
  await f.consume();
  const full = await f.delta.run({ fullListing: true });
  assert.equal(full.listed, 2);
  assert.equal(full.skipped_ingested, 2);
  assert.equal(full.graph_resource_units, 2);
  const idle = await f.delta.run();
  assert.equal(idle.listed, 0);
  assert.equal(idle.graph_resource_units, 1);
  assert.equal(windowRequest({ full: true }).fullListing, true);
  assert.equal(windowRequest({ lookback: "3h" }).fullListing, true);
  assert.equal(windowRequest({ since: "2026-01-01T00:00:00Z" }).fullListing, true);
  assert.equal(windowRequest({}).fullListing, undefined);
});

Deno.test("the state keeps resolved ids, the link and the files to offer again", async () => {
  await using f = await modesFixture({ files: [report("a.csv", 5)] });
  f.sim.addFault({
    match: { server: "download" },
    fault: { kind: "status", status: 500 },
    times: 1,
  });
  const result = await f.delta.run();
  assert.deepEqual(result.failed.map((x) => x.name), ["a.csv"]);
  const settings = f.delta.settings;
  const store = stateStoreFor(settings, Date.now);
  const { state, warning } = await store.load();
  assert.equal(warning, undefined);
  assert.equal(state.listing?.mode, "folder_delta");
  assert.match(state.listing?.delta_link ?? "", /\/delta\?token=/);
  assert.ok(state.resolved?.folder_id);
  assert.deepEqual(state.retry?.map((e) => [e.name, e.reason]), [["a.csv", "failed"]]);
  const dry = await f.delta.run({ dryRun: true });
  assert.deepEqual(dry.downloaded, ["a.csv"]);
  const again = await f.delta.run();
  assert.deepEqual(again.downloaded, ["a.csv"]);
  const after = await store.load();
  assert.equal(after.state.retry, undefined);
});

Deno.test("a file that keeps failing is offered again until it leaves the window", async () => {
  await using f = await modesFixture({ files: [report("bad.csv", 30)] });
  f.sim.addFault({
    match: { server: "download", file: "bad.csv" },
    fault: { kind: "status", status: 500 },
    times: Infinity,
  });
  for (let run = 0; run < 2; run++) {
    const result = await f.delta.run();
    assert.deepEqual(result.failed.map((x) => x.name), ["bad.csv"], `run ${run}`);
    assert.equal(result.in_window, 1);
  }
  f.clock.advance(3 * 3_600_000);
  const later = await f.delta.run();
  const children = await f.children.run();
  assert.deepEqual([later.failed, later.downloaded], [[], []]);
  assert.deepEqual([children.failed, children.downloaded], [[], []]);
  assert.equal(later.in_window, 0);
  const idle = await f.delta.run();
  assert.equal(idle.listed, 0, "the entry was dropped from the state");
});

Deno.test("a full delta listing reports the counts children paging reports", async () => {
  await using f = await modesFixture({
    files: [
      report("old-1.csv", 60 * 24 * 5),
      report("old-2.csv", 60 * 24 * 5),
      report("done-1.csv", 20),
      report("done-2.csv", 30),
      report("done-3.tmp", 30),
      report("skip.tmp", 25),
      report("young.csv", 0.1),
      report("new.csv", 40),
    ],
    ingested: ["done-1.csv", "done-2.csv", "done-3.tmp"].map((name) => ({
      name,
      at: minutesAgo(10),
    })),
  }, { min_age_seconds: 60, exclude: ["*.tmp"] });
  const counts = (r: Awaited<ReturnType<typeof f.delta.run>>) => ({
    listed: r.listed,
    in_window: r.in_window,
    skipped_ingested: r.skipped_ingested,
    skipped_filtered: r.skipped_filtered,
    downloaded: r.downloaded,
  });
  const children = counts(await f.children.run());
  const delta = counts(await f.delta.run());
  assert.deepEqual(children, {
    listed: 8,
    in_window: 6,
    skipped_ingested: 2,
    skipped_filtered: 3,
    downloaded: ["new.csv"],
  });
  assert.deepEqual(delta, children);
});
