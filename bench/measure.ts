/**
 * Runs a command as a child process and measures it: wall time from spawn to exit and peak
 * resident memory (`Maximum resident set size` of GNU `/usr/bin/time -v`, i.e. the kernel's
 * `ru_maxrss` of the child, the same figure as `VmHWM` in `/proc/<pid>/status`).
 * @module
 */

const TIME = "/usr/bin/time";

/** One measured process run. */
export interface Measured {
  code: number;
  wallMs: number;
  /** Peak RSS in bytes, undefined when `/usr/bin/time` is missing. */
  peakRss: number | undefined;
  /** User + system CPU time in ms, undefined when `/usr/bin/time` is missing. */
  cpuMs: number | undefined;
  /** System (kernel) part of `cpuMs`. */
  sysMs?: number | undefined;
  stdout: string;
  stderr: string;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Give up (SIGKILL) after this long; default 30 minutes. */
  timeoutMs?: number;
}

let timeAvailable: boolean | undefined;

function hasTime(): boolean {
  if (timeAvailable === undefined) {
    try {
      timeAvailable = Deno.statSync(TIME).isFile;
    } catch {
      timeAvailable = false;
    }
  }
  return timeAvailable;
}

function parseMaxRss(report: string): number | undefined {
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
  return match ? Number(match[1]) * 1024 : undefined;
}

function parseCpuMs(report: string): number | undefined {
  const user = /User time \(seconds\): ([\d.]+)/.exec(report);
  const system = /System time \(seconds\): ([\d.]+)/.exec(report);
  return user && system ? (Number(user[1]) + Number(system[1])) * 1000 : undefined;
}

function parseSysMs(report: string): number | undefined {
  const system = /System time \(seconds\): ([\d.]+)/.exec(report);
  return system ? Number(system[1]) * 1000 : undefined;
}

/** Runs `command args…` to completion and measures it. */
export async function measure(
  command: string,
  args: string[],
  options: MeasureOptions = {},
): Promise<Measured> {
  const report = await Deno.makeTempFile({ prefix: "bench-time-" });
  const wrapped = hasTime() ? [TIME, ["-v", "-o", report, command, ...args]] as const : [
    command,
    args,
  ] as const;
  const started = performance.now();
  const child = new Deno.Command(wrapped[0], {
    args: [...wrapped[1]],
    cwd: options.cwd,
    env: { NO_COLOR: "1", NO_PROXY: "127.0.0.1,localhost", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30 * 60_000);
  try {
    const output = await child.output();
    const wallMs = performance.now() - started;
    const decoder = new TextDecoder();
    const text = await Deno.readTextFile(report).catch(() => "");
    return {
      code: output.code,
      wallMs,
      peakRss: parseMaxRss(text),
      cpuMs: parseCpuMs(text),
      sysMs: parseSysMs(text),
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
    await Deno.remove(report).catch(() => {});
  }
}

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
