/**
 * The baseline: the same bytes fetched with `curl` from the same simulator — the practical limit
 * of this machine for the transfer. Downloads run with `curl --parallel --parallel-max N` when
 * the tool downloads N files at a time; listing pages are fetched one after the other over one
 * connection, like the tool pages through `@odata.nextLink`.
 * @module
 */
import { fileURLToPath } from "node:url";
import { measure, type Measured } from "./measure.ts";

/** One transfer of the baseline. */
export interface Transfer {
  url: string;
  /** File to write the body to. */
  output: string;
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A curl config file (`-K`) with the transfers and extra headers. */
async function curlConfig(transfers: Transfer[], headers: string[]): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "bench-curl-", suffix: ".cfg" });
  const lines = headers.map((h) => `header = ${quote(h)}`);
  for (const t of transfers) lines.push(`url = ${quote(t.url)}`, `output = ${quote(t.output)}`);
  await Deno.writeTextFile(path, `${lines.join("\n")}\n`);
  return path;
}

/**
 * Fetches every transfer with one curl process, `parallel` at a time (1: one after the other on
 * one reused connection). Fails when curl reports an error.
 */
export async function curlFetch(
  transfers: Transfer[],
  options: { parallel?: number; headers?: string[] } = {},
): Promise<Measured> {
  const parallel = options.parallel ?? 1;
  const config = await curlConfig(transfers, options.headers ?? []);
  try {
    const args = ["--silent", "--show-error", "--fail", "--config", config];
    if (parallel > 1) args.unshift("--parallel", "--parallel-max", String(parallel));
    const run = await measure("curl", args);
    if (run.code !== 0) throw new Error(`curl exited ${run.code}: ${run.stderr.slice(0, 500)}`);
    return run;
  } finally {
    await Deno.remove(config).catch(() => {});
  }
}

/** Sums the measured wall times of consecutive baseline steps. */
export function sequence(runs: Measured[]): Measured {
  return {
    code: 0,
    wallMs: runs.reduce((sum, r) => sum + r.wallMs, 0),
    peakRss: Math.max(...runs.map((r) => r.peakRss ?? 0)),
    cpuMs: runs.reduce((sum, r) => sum + (r.cpuMs ?? 0), 0),
    stdout: "",
    stderr: "",
  };
}

/**
 * `sync --data` over `paths`: what curl's output still needs to be as durable as the tool's
 * files (the tool fdatasyncs every file before placing it). Measured on its own.
 */
export async function syncData(paths: string[]): Promise<Measured> {
  const run = await measure("sync", ["--data", ...paths]);
  if (run.code !== 0) throw new Error(`sync exited ${run.code}: ${run.stderr.slice(0, 500)}`);
  return run;
}

/**
 * `sync -f <dir>` (one `syncfs` of the file system holding `dir`): the cheapest way to make
 * curl's output survive a power cut, and so the honest limit of a tool that makes every file
 * durable before placing it. It flushes whatever else is dirty on that file system too.
 */
export async function syncFs(dir: string): Promise<Measured> {
  const run = await measure("sync", ["-f", dir]);
  if (run.code !== 0) throw new Error(`sync -f exited ${run.code}: ${run.stderr.slice(0, 500)}`);
  return run;
}

const BARE_CLIENT = fileURLToPath(new URL("./bare_client.ts", import.meta.url));

/**
 * The bare Deno client (`bare_client.ts`) over `urls` into `dir`, `parallel` at a time: fetch →
 * one write → fdatasync → link per file, with the tool's loopback and file permissions and no
 * V8 flags. Fails when it exits non-zero.
 */
export async function bareDenoFetch(
  urls: string[],
  dir: string,
  parallel: number,
): Promise<Measured> {
  const list = await Deno.makeTempFile({ prefix: "bench-bare-", suffix: ".json" });
  try {
    await Deno.writeTextFile(list, JSON.stringify(urls));
    const run = await measure(Deno.execPath(), [
      "run",
      "--allow-net=127.0.0.1,localhost",
      "--allow-read",
      "--allow-write",
      BARE_CLIENT,
      list,
      dir,
      String(parallel),
    ]);
    if (run.code !== 0) {
      throw new Error(`bare client exited ${run.code}: ${run.stderr.slice(0, 500)}`);
    }
    return run;
  } finally {
    await Deno.remove(list).catch(() => {});
  }
}
