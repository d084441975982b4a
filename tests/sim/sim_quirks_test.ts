/** `ingest sim --quirk`: each named switch reaches the simulator, and `ingest` copes with them. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runSimulatorCli } from "../../src/sim/sim_cli.ts";
import { SIM_QUIRKS } from "../../src/sim/sim_quirks.ts";
import { runMain } from "../helpers/cli_harness.ts";

Deno.test("ingest sim --quirk with an unknown name exits 2 naming the valid ones", async () => {
  const run = await runMain(["sim", "--quirk", "loopy"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Cannot use --quirk "loopy": expected one of malformed-item, /);
});

Deno.test("a simulator started with quirks: ingest skips malformed items and malware, refuses an HTML page, places chunked files", async () => {
  const lines: string[] = [];
  const quirks = ["malformed-item", "malware", "html-page", "chunked", "folder-410"];
  await using sim = await runSimulatorCli(
    { ingestionDir: "incoming", quirks },
    (l) => lines.push(l),
  );
  for (const name of quirks) {
    assert.ok(lines.includes(`  quirk            ${name}: ${SIM_QUIRKS[name]!.description}`));
  }
  const dir = await Deno.makeTempDir({ prefix: "ingest-quirks-" });
  try {
    const snippet = lines.slice(lines.indexOf("[scheduler]")).join("\n");
    await Deno.writeTextFile(
      join(dir, "settings.toml"),
      `${snippet}\nretry_delay_seconds = 0.01\nmax_retries = 1\n`,
    );
    const run = await runMain(["--json", "trigger"], { cwd: dir });
    assert.equal(run.code, 3, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.listing, "root_delta");
    assert.equal(result.skipped_malformed, 2);
    assert.equal(result.malware, 1);
    assert.deepEqual(result.failed.map((f: { name: string }) => f.name), [
      "quarterly report (error page).pdf",
    ]);
    assert.ok(result.downloaded.includes("Q4 forecast.xlsx"));
    assert.ok(
      sim.requestLog.filter((e) => e.server === "download").every((e) =>
        e.headers["accept-encoding"] === "identity"
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
