/**
 * How the operator started this process, so that output names commands they can type: the
 * compiled binary is `ingest`; a source checkout runs under the `deno` executable, where the
 * same command is `deno task ingest`.
 * @module
 */

/** True when `execPath` is the Deno runtime itself (`deno run … main.ts`), not a compiled binary. */
export function runsUnderDeno(execPath: string): boolean {
  const name = execPath.split(/[\\/]/).pop() ?? "";
  return /^deno(\.exe)?$/i.test(name);
}

/**
 * The command line that runs `ingest <args>` the way this process was started,
 * e.g. "ingest check" or "deno task ingest check".
 * @param execPath the running executable (`Deno.execPath()`, injected)
 */
export function ingestCommand(execPath: string, args: string): string {
  return `${runsUnderDeno(execPath) ? "deno task ingest" : "ingest"} ${args}`;
}
