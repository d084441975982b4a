/**
 * Benchmark rows, the machine they ran on, and the Markdown table `bench/run.ts` prints.
 * @module
 */

/** How a row's ratio is read against its target. */
export type Target =
  /**
   * Tool throughput ÷ baseline throughput (baseline time ÷ tool time) must be ≥ `min`; with
   * `against: "syncfs"` the baseline is curl followed by one `sync -f` (as durable as the tool);
   * with `against: "bare"` the bare Deno client (`bench/bare_client.ts`).
   */
  | { kind: "throughput"; min: number; against?: "syncfs" | "bare" }
  /** Tool time ÷ baseline time must be ≤ `max` (cold start). */
  | { kind: "time"; max: number }
  /** Tool time must be ≤ `maxMs` (and the ratio is informative only). */
  | { kind: "seconds"; maxMs: number }
  | { kind: "none" };

/** One line of the results table. */
export interface Row {
  scenario: string;
  toolMs: number;
  baselineMs: number;
  /** Baseline time plus `sync --data` of its files (as durable as the tool's), when measured. */
  baselineSyncedMs?: number;
  /** Baseline time plus one `sync -f` of its file system: the cheapest durable form of curl. */
  baselineSyncfsMs?: number;
  /** What the baseline is, e.g. "curl --parallel 4" or "bare deno run". */
  baselineLabel: string;
  files: number;
  bytes: number;
  /** Peak RSS of the tool process, bytes. */
  toolRss: number | undefined;
  /** CPU time (user + system) of the tool and of the baseline, ms. */
  toolCpuMs?: number | undefined;
  baselineCpuMs?: number | undefined;
  /** The run's own `duration_ms` (without process start-up), when known. */
  runMs?: number | undefined;
  target: Target;
  /** Peak RSS limit, bytes. */
  maxRss?: number;
  /** Limit of the tool's CPU time (user + system) per file, ms. */
  maxCpuPerFileMs?: number;
  /** Wall and CPU time of the bare Deno client over the same files, when measured. */
  bareMs?: number | undefined;
  bareCpuMs?: number | undefined;
  /** Limit of the tool's CPU per file as a multiple of the bare Deno client's. */
  maxCpuPerFileVsBare?: number;
  note?: string;
}

/** stdout of `command args…`, or "" when it cannot run. */
async function commandText(command: string, args: string[]): Promise<string> {
  try {
    const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "null" })
      .output();
    return new TextDecoder().decode(output.stdout);
  } catch {
    return "";
  }
}

/** nproc, CPU model, memory, OS, Deno and curl versions. */
export async function machine(): Promise<Record<string, string>> {
  // Deno reads /proc only with --allow-all; `cat` needs just --allow-run.
  const cpuinfo = await commandText("cat", ["/proc/cpuinfo"]);
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const curl = (await commandText("curl", ["--version"])).split(" ").slice(0, 2).join(" ");
  return {
    nproc: String(navigator.hardwareConcurrency),
    cpu: model,
    memory: `${(Deno.systemMemoryInfo().total / 1024 ** 3).toFixed(1)} GiB`,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    curl,
  };
}

/** Tool throughput relative to the baseline (>1: faster), or tool ÷ bare time for start-up rows. */
export function ratio(row: Row): number {
  return row.target.kind === "time" ? row.toolMs / row.baselineMs : row.baselineMs / row.toolMs;
}

/** Tool throughput relative to the baseline the row's target names (curl + syncfs or curl). */
export function targetRatio(row: Row): number {
  if (row.target.kind === "throughput" && row.target.against === "syncfs") {
    return (row.baselineSyncfsMs ?? NaN) / row.toolMs;
  }
  if (row.target.kind === "throughput" && row.target.against === "bare") {
    return (row.bareMs ?? NaN) / row.toolMs;
  }
  return ratio(row);
}

/** The tool's CPU time per file, ms (undefined without files or CPU figures). */
export function cpuPerFile(row: Row, side: "tool" | "baseline" = "tool"): number | undefined {
  const cpu = side === "tool" ? row.toolCpuMs : row.baselineCpuMs;
  return cpu === undefined || row.files === 0 ? undefined : cpu / row.files;
}

/** "met", "MISSED" or "" when the row has no target. */
export function verdict(row: Row): string {
  const r = targetRatio(row);
  const rssOk = (row.maxRss === undefined || (row.toolRss ?? Infinity) < row.maxRss) &&
    (row.maxCpuPerFileMs === undefined || (cpuPerFile(row) ?? Infinity) <= row.maxCpuPerFileMs) &&
    (row.maxCpuPerFileVsBare === undefined ||
      (row.toolCpuMs ?? Infinity) <= row.maxCpuPerFileVsBare * (row.bareCpuMs ?? NaN));
  switch (row.target.kind) {
    case "throughput":
      return r >= row.target.min && rssOk ? "met" : "MISSED";
    case "time":
      return r <= row.target.max && rssOk ? "met" : "MISSED";
    case "seconds":
      return row.toolMs <= row.target.maxMs && rssOk ? "met" : "MISSED";
    case "none":
      return row.maxRss === undefined && row.maxCpuPerFileMs === undefined
        ? ""
        : rssOk
        ? "met"
        : "MISSED";
  }
}

function targetText(row: Row): string {
  const rss = (row.maxRss === undefined ? "" : `, RSS < ${mb(row.maxRss)}`) +
    (row.maxCpuPerFileMs === undefined ? "" : `, CPU ≤ ${row.maxCpuPerFileMs} ms/file`) +
    (row.maxCpuPerFileVsBare === undefined ? "" : `, CPU ≤ ${row.maxCpuPerFileVsBare}× bare`);
  switch (row.target.kind) {
    case "throughput":
      return `≥ ${Number(row.target.min.toFixed(2))}×${
        row.target.against === undefined
          ? ""
          : row.target.against === "syncfs"
          ? " curl+syncfs"
          : " bare Deno"
      }${rss}`;
    case "time":
      return `≤ ${row.target.max}× bare${rss}`;
    case "seconds":
      return `≤ ${row.target.maxMs / 1000} s${rss}`;
    case "none":
      return rss.replace(/^, /, "");
  }
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? "–" : `${(bytes / 1_000_000).toFixed(0)} MB`;
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return "–";
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The results as a Markdown table. */
export function table(rows: Row[]): string {
  const header = [
    "scenario",
    "tool",
    "baseline",
    "ratio",
    "curl + fdatasync",
    "curl + syncfs",
    "bare Deno (CPU per file)",
    "files/s",
    "MB/s",
    "peak RSS",
    "CPU tool / baseline",
    "CPU per file tool / baseline",
    "in-run",
    "target",
    "",
  ];
  const lines = [header, header.map(() => "---")];
  for (const row of rows) {
    const secs = row.toolMs / 1000;
    const ratioText = row.target.kind === "time"
      ? `${ratio(row).toFixed(2)}× bare`
      : `${ratio(row).toFixed(2)}×`;
    lines.push([
      row.scenario,
      seconds(row.toolMs),
      `${seconds(row.baselineMs)} (${row.baselineLabel})`,
      ratioText,
      row.baselineSyncedMs === undefined
        ? "–"
        : `${seconds(row.baselineSyncedMs)} (${(row.baselineSyncedMs / row.toolMs).toFixed(2)}×)`,
      row.baselineSyncfsMs === undefined
        ? "–"
        : `${seconds(row.baselineSyncfsMs)} (${(row.baselineSyncfsMs / row.toolMs).toFixed(2)}×)`,
      row.bareMs === undefined
        ? "–"
        : `${seconds(row.bareMs)} (${(row.bareMs / row.toolMs).toFixed(2)}×; ${
          ((row.bareCpuMs ?? NaN) / Math.max(row.files, 1)).toFixed(2)
        } ms)`,
      row.files > 0 ? (row.files / secs).toFixed(0) : "–",
      row.bytes > 0 ? (row.bytes / 1_000_000 / secs).toFixed(1) : "–",
      mb(row.toolRss),
      row.toolCpuMs === undefined
        ? "–"
        : `${seconds(row.toolCpuMs)} / ${seconds(row.baselineCpuMs)}`,
      cpuPerFile(row) === undefined || row.files < 10
        ? "–"
        : `${cpuPerFile(row)!.toFixed(2)} / ${cpuPerFile(row, "baseline")?.toFixed(2) ?? "–"} ms`,
      seconds(row.runMs),
      targetText(row),
      verdict(row),
    ]);
  }
  return lines.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}
