/**
 * Hostile SharePoint through the CLI (real-sharepoint-quirks.md §11, §12, §13): what an operator
 * sees from `run-once`, `--json` and `check`, against the simulator over HTTP.
 */
import assert from "node:assert/strict";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

Deno.test("ingest run-once: a looping listing ends by itself with exit 1 and one line; the next run is not refused; check shows it", async () => {
  await using ws = await simWorkspace();
  const first = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(first.code, 0, first.stderr);

  ws.sim.setDeltaQuirks({ loop: "same-link" });
  const looping = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(looping.code, 1, looping.stderr);
  const lines = looping.stderr.split("\n").filter((l) => l.startsWith("ingest:"));
  assert.equal(lines.length, 1, looping.stderr);
  assert.match(
    lines[0]!,
    /^ingest: Cannot list the changes of "\/Shared Documents\/Reports": the server keeps returning the same page/,
  );

  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(
    check.stdout,
    /the last listing failed \d+ min ago \(Cannot list .*keeps returning the same page/,
  );

  const still = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(still.code, 1, "the lock was released: refused as overlapping would be 4");

  ws.sim.setDeltaQuirks({ loop: undefined });
  const after = await runMain(["run-once"], { cwd: ws.dir });
  assert.equal(after.code, 0, after.stderr);
  const cleared = await runMain(["check"], { cwd: ws.dir });
  assert.doesNotMatch(cleared.stdout, /the last listing failed/);
});

Deno.test("ingest --json trigger reports skipped_malformed and malware; the summary names both", async () => {
  await using ws = await simWorkspace();
  ws.sim.addFile({ path: "Reports/nosize.csv", size: 10, quirks: { omit: "size" } });
  ws.sim.addFile({ path: "Reports/flagged.pdf", size: 10, quirks: { malware: {} } });
  const json = await runMain(["--json", "trigger"], { cwd: ws.dir });
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout);
  assert.equal(result.skipped_malformed, 1);
  assert.equal(result.malware, 1);
  assert.ok(!ws.incomingNames().includes("flagged.pdf"));

  ws.sim.addFile({ path: "Reports/flagged2.docx", size: 10, quirks: { malware: {} } });
  const human = await runMain(["trigger"], { cwd: ws.dir });
  assert.match(human.stdout, /Skipped 1 listed item\(s\) without a name, size or time/);
  // Delta lists only the new file; the first one stays known in the state.
  assert.match(human.stdout, /Not downloaded: 1 file\(s\) flagged as malware by SharePoint/);
  const check = await runMain(["check"], { cwd: ws.dir });
  assert.match(
    check.stdout,
    /2 file\(s\) flagged as malware, not downloaded: flagged.pdf, flagged2.docx/,
  );
});
