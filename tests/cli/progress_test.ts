import assert from "node:assert/strict";
import { ProgressLine } from "../../src/commands/progress.ts";
import { runMain } from "../helpers/cli_harness.ts";
import { simWorkspace } from "../helpers/sim_workspace.ts";

Deno.test("ProgressLine shows files done of total, bytes and the current file, throttled", () => {
  let out = "";
  let now = 0;
  const line = new ProgressLine({ write: (t) => (out += t), now: () => now, intervalMs: 100 });
  line.planned(3, 3_000_000);
  assert.equal(line.text(), "0/3 files, 0 B of 3.0 MB");
  line.fileBytes("a.csv", 500_000);
  const draws = out.split("\r").length;
  now = 50;
  line.fileBytes("a.csv", 900_000);
  assert.equal(out.split("\r").length, draws, "no redraw within the interval");
  now = 200;
  line.fileBytes("b.csv", 100_000);
  assert.match(out, /0\/3 files, 1\.0 MB of 3\.0 MB {2}b\.csv$/);
  line.fileDone("a.csv", true);
  line.fileDone("b.csv", false);
  assert.equal(line.text(), "1/3 files, 1 failed, 900.0 KB of 3.0 MB");
  line.finish();
  assert.ok(out.endsWith("\r\x1b[2K"));
});

Deno.test("trigger on a terminal draws progress on stderr and keeps stdout clean; off a terminal it does not", async () => {
  await using ws = await simWorkspace();
  const tty = await runMain(["--log-level", "error", "trigger"], { cwd: ws.dir, isTty: true });
  assert.equal(tty.code, 0, tty.stderr);
  assert.ok(tty.stderr.includes("\r\x1b[2K6/6 files, 379.1 KB of 379.1 KB"), tty.stderr);
  assert.doesNotMatch(tty.stdout, /\r/);
  await using ws2 = await simWorkspace();
  const plain = await runMain(["trigger"], { cwd: ws2.dir, isTty: false });
  assert.equal(plain.code, 0);
  assert.doesNotMatch(plain.stderr, /\r/);
});
