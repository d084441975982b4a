/**
 * How the operator started this process, so that output names commands they can type: the
 * compiled binary is `ingest`; a source checkout runs under the `deno` executable, where the same
 * command is `deno task ingest`, or `npx -y deno@<version> task ingest` when npx fetched that
 * Deno into its cache (the README's first commands: no `deno` on PATH).
 * @module
 */

/** The running executable and the Deno version it reports (`Deno.execPath()`, `Deno.version.deno`). */
export interface Invocation {
  execPath: string;
  denoVersion: string;
}

function pathSegments(execPath: string): string[] {
  return execPath.split(/[\\/]/);
}

/** True when `execPath` is the Deno runtime itself (`deno run … main.ts`), not a compiled binary. */
export function runsUnderDeno(execPath: string): boolean {
  return /^deno(\.exe)?$/i.test(pathSegments(execPath).at(-1) ?? "");
}

/** The command that starts the CLI here: "ingest", "deno task ingest" or "npx -y deno@V task ingest". */
export function ingestLauncher(invocation: Invocation): string {
  if (!runsUnderDeno(invocation.execPath)) return "ingest";
  // npm exec / npx unpack packages under <npm cache>/_npx/<hash>/node_modules.
  const fromNpx = pathSegments(invocation.execPath).includes("_npx");
  return fromNpx ? `npx -y deno@${invocation.denoVersion} task ingest` : "deno task ingest";
}

/** The command line that runs `ingest <args>` the way this process was started. */
export function ingestCommand(invocation: Invocation, args: string): string {
  return `${ingestLauncher(invocation)} ${args}`;
}
