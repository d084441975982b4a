/**
 * Entry point of the `ingest` binary: the only place that reads `Deno.args`/`Deno.env`,
 * configures logging and exits the process.
 * @module
 */
import { systemClock } from "./src/clock.ts";
import type { CliDeps } from "./src/commands/context.ts";
import type { LoggingOptions } from "./src/logging.ts";
import { denoSignalApi } from "./src/schedule/signal_api.ts";
import { VERSION } from "./src/version.ts";

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/**
 * Writes to stdout; once the reader has gone (`ingest config | head`), the rest is dropped
 * instead of failing the command: the run's outcome is in its exit code and log.
 */
function stdoutWriter(): (text: string) => void {
  let closed = false;
  return (text) => {
    if (closed) return;
    try {
      writeAll(Deno.stdout, text);
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      closed = true;
    }
  };
}

/** Width of the console; 80 when there is none (stdout and stderr redirected). */
function consoleColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** Real process facilities. */
export function processDeps(): CliDeps {
  return {
    env: Deno.env.toObject(),
    cwd: Deno.cwd(),
    execPath: Deno.execPath(),
    denoVersion: Deno.version.deno,
    mainModule: Deno.mainModule,
    stdout: stdoutWriter(),
    stderr: (text) => writeAll(Deno.stderr, text),
    isTty: Deno.stderr.isTerminal(),
    columns: consoleColumns,
    fetch: globalThis.fetch,
    clock: systemClock,
    random: Math.random,
    signals: denoSignalApi(),
    setupLogging: async (options: LoggingOptions) =>
      await (await import("./src/logging.ts")).setupLogging(options),
  };
}

/**
 * Runs the CLI with `args` and returns the exit code (tests call this in process).
 * @param args arguments without the program name
 */
export async function main(args: string[], deps: CliDeps = processDeps()): Promise<number> {
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    // Answered before the CLI library loads: scripts probe the version often.
    deps.stdout(`${VERSION}\n`);
    return 0;
  }
  let loggingConfigured = false;
  const setupLogging = async (options: LoggingOptions) => {
    loggingConfigured = true;
    await deps.setupLogging(options);
  };
  try {
    const { runCli } = await import("./src/cli.ts");
    return await runCli(args, { ...deps, setupLogging });
  } finally {
    // Flushes the log file; logging is only loaded when a command configured it.
    if (loggingConfigured) await (await import("./src/logging.ts")).closeLogging();
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
