/**
 * The tool under test: `deno run <permissions> main.ts <command>` as a child process, with a
 * settings file pointing at a simulator the benchmark runs in its own process.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Simulator } from "../src/sim/types.ts";
import { measure, type Measured } from "./measure.ts";
import { scratchDir } from "./scenario.ts";
import { RUNTIME_V8_FLAGS } from "../src/permissions.ts";

/** Absolute path of the CLI entry point. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** The permissions `deno task ingest` and the compiled binary get, limited to loopback. */
export const PERMISSIONS = [
  "--allow-net=127.0.0.1,localhost",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  ...RUNTIME_V8_FLAGS,
];

/** A scratch folder with a settings file for one tool run. */
export interface ToolWorkspace {
  dir: string;
  settings: string;
  ingestionDir: string;
}

/**
 * Creates a fresh folder holding `settings.toml` for `sim` (`folder` as `sharepoint_folder`),
 * an empty ingestion folder beside it, and `extra` TOML lines.
 */
export async function toolWorkspace(
  sim: Simulator,
  folder: string,
  extra: Record<string, string | number | boolean> = {},
): Promise<ToolWorkspace> {
  const dir = await scratchDir("ingest-bench-");
  const ingestionDir = `${dir}/incoming`;
  const lines = [
    sim.settingsSnippet({ folder, ingestionDir }).trimEnd(),
    'log_level = "WARNING"',
    "retry_delay_seconds = 1",
    ...Object.entries(extra).map(([key, value]) => `${key} = ${JSON.stringify(value)}`),
  ];
  const settings = `${dir}/settings.toml`;
  await Deno.writeTextFile(settings, `${lines.join("\n")}\n`);
  return { dir, settings, ingestionDir };
}

const denoFlags: string[] = [];

/** Extra `deno run` flags of every tool run, e.g. `--v8-flags=--max-semi-space-size=1`. */
export function setDenoFlags(flags: string[]): void {
  denoFlags.splice(0, denoFlags.length, ...flags);
}

/**
 * Runs `ingest <args> --config <settings>` and measures it. An `--allow-all` among the extra
 * flags replaces the loopback-only permissions (Deno reads and writes /dev/shm only with it).
 */
export function runTool(args: string[], settings?: string): Promise<Measured> {
  const config = settings === undefined ? [] : ["--config", settings];
  const all = denoFlags.some((f) => f === "-A" || f === "--allow-all");
  return measure(Deno.execPath(), [
    "run",
    ...(all ? [] : PERMISSIONS),
    ...denoFlags,
    MAIN,
    ...args,
    ...config,
  ]);
}

/** The part of the `--json` result the benchmarks read. */
export interface ToolResult {
  status?: string;
  duration_ms?: number;
  downloaded?: string[];
  bytes?: number;
  listed?: number;
  skipped_ingested?: number;
}

/** The `--json` result the tool printed, or `{}` when stdout is not one. */
export function toolResult(stdout: string): ToolResult {
  try {
    return JSON.parse(stdout) as ToolResult;
  } catch {
    return {};
  }
}

/** Throws with the tool's stderr when it did not exit 0. */
export function expectOk(run: Measured, what: string): void {
  if (run.code !== 0) {
    throw new Error(`${what}: ingest exited ${run.code}\n${run.stderr.slice(0, 2000)}`);
  }
}
