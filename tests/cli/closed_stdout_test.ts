import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { MINIMAL } from "../config/settings_files.ts";

const MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));

Deno.test("a reader that goes away (ingest … | head) ends the output quietly, exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-pipe-" });
  try {
    const settings = join(dir, "settings.toml");
    await Deno.writeTextFile(settings, MINIMAL);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", MAIN, "next", "--count", "1000", "--config", settings],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const reader = child.stdout.getReader();
    const first = await reader.read();
    const why = first.done ? await new Response(child.stderr).text() : "";
    assert.ok(!first.done, `the command printed something; its stderr: ${why}`);
    await reader.cancel();
    const [status, stderr] = await Promise.all([
      child.status,
      new Response(child.stderr).text(),
    ]);
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stderr, /broken pipe|unexpected error/i);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
