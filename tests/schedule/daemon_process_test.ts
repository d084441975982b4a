import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ExitCode } from "../../src/errors.ts";
import { spawnFixture } from "./fixtures/spawn.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/daemon.ts", import.meta.url));

/** Starts the daemon fixture, waits for its first run, sends `signal`, returns the exit code. */
async function signalDaemon(mode: "busy" | "idle", signal: Deno.Signal): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "ingest-daemon-" });
  const { child, text, reader } = await spawnFixture(
    FIXTURE,
    [mode, `${dir}/ingest.lock`],
    "running\n",
  );
  try {
    assert.match(text, /running/);
    child.kill(signal);
    const status = await child.status;
    await reader.cancel();
    return status.code;
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("daemon process: SIGTERM while idle exits 0", async () => {
  assert.equal(await signalDaemon("idle", "SIGTERM"), ExitCode.Ok);
});

Deno.test("daemon process: SIGTERM during a run aborts it after the timeout and exits 143", async () => {
  assert.equal(await signalDaemon("busy", "SIGTERM"), ExitCode.Terminated);
});

Deno.test("daemon process: SIGINT during a run aborts it after the timeout and exits 130", async () => {
  assert.equal(await signalDaemon("busy", "SIGINT"), ExitCode.Interrupted);
});
