import assert from "node:assert/strict";
import { listNames } from "./fixture.ts";
import { report, simFixture } from "./sim_fixture.ts";

Deno.test("sim: a dry run counts a file SharePoint flags as malware, would download the rest and writes nothing", async () => {
  await using f = await simFixture({
    files: [report("a.csv", 5, { size: 100 }), report("facet.pdf", 5, { quirks: { malware: {} } })],
  });
  const dry = await f.run({ dryRun: true });
  assert.deepEqual(dry.downloaded, ["a.csv"]);
  assert.equal(dry.bytes, 100);
  assert.equal(dry.malware, 1);
  assert.equal(f.downloads().length, 0);
  assert.deepEqual(f.metrics.snapshot(), {});
  assert.deepEqual(await listNames(f.dir), []);
});
