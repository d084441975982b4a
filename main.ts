/**
 * Entry point of the `ingest` binary: the only place that reads `Deno.args`/`Deno.env`,
 * configures logging and exits the process.
 * @module
 */
import { runCli } from "./src/cli.ts";
import { systemClock } from "./src/clock.ts";
import type { CliDeps } from "./src/commands/context.ts";
import { closeLogging, setupLogging } from "./src/logging.ts";
import { denoSignalApi } from "./src/schedule/shutdown.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/** Real process facilities. */
export function processDeps(): CliDeps {
  return {
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    stdout: (text) => writeAll(Deno.stdout, text),
    stderr: (text) => writeAll(Deno.stderr, text),
    isTty: Deno.stderr.isTerminal(),
    fetch: globalThis.fetch,
    clock: systemClock,
    random: Math.random,
    signals: denoSignalApi(),
    setupLogging,
  };
}

/**
 * Runs the CLI with `args` and returns the exit code (tests call this in process).
 * @param args arguments without the program name
 */
export async function main(args: string[], deps: CliDeps = processDeps()): Promise<number> {
  try {
    return await runCli(args, deps);
  } finally {
    await closeLogging();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
