/**
 * A folder that cannot take files fails the run at once (issue #27 item 2): the first denied
 * placement is a run-wide {@link IngestionDirError}, never retried per file with backoff.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { downloadWithRetries } from "../../src/sync/file_download.ts";
import { IngestionDirError, StagingArea } from "../../src/sync/placement.ts";
import { ManualClock } from "../helpers/clocks.ts";
import { FakeSharePoint } from "./fake_sharepoint.ts";
import { REFERENCE } from "./fixture.ts";

function deniedLink(): never {
  throw new Deno.errors.PermissionDenied("Permission denied (os error 13): link");
}

Deno.test("a denied placement is one run-wide error naming ingestion_dir, with no retry and no wait", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-denied-" });
  try {
    const staging = new StagingArea({
      stagingDir: join(dir, "staging"),
      ingestionDir: join(dir, "incoming"),
      link: deniedLink,
      os: "linux",
    });
    await staging.prepare();
    const sharepoint = new FakeSharePoint([{ name: "x.csv", lastModified: REFERENCE }]);
    const [file] = await Array.fromAsync(
      sharepoint.listFiles({ driveId: "", itemId: "" } as never),
    );
    const clock = new ManualClock(REFERENCE);
    await assert.rejects(
      downloadWithRetries(file!, {
        sharepoint,
        staging,
        clock,
        runId: "r",
        verifyHash: false,
        maxRetries: 3,
        retryDelayMs: 60_000,
      }),
      (error: unknown) => {
        assert.ok(error instanceof IngestionDirError);
        assert.match(
          (error as Error).message,
          /^Cannot place files in ingestion_dir .*incoming: permission denied/,
        );
        return true;
      },
    );
    assert.deepEqual(sharepoint.downloads, ["x.csv"], "downloaded once");
    assert.deepEqual(clock.sleeps, [], "no backoff");
    assert.deepEqual([...Deno.readDirSync(join(dir, "staging"))], [], "no temporary file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
