/**
 * The tool under test: `deno run <permissions> main.ts <command>` as a child process, with a
 * settings file pointing at a simulator the benchmark runs in its own process.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { Simulator } from "../src/sim/types.ts";
import { type Measured, measure } from "./measure.ts";

/** Absolute path of the CLI entry point. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** The permissions `deno task ingest` and the compiled binary get, limited to loopback. */
export const PERMISSIONS = [
  "--allow-net=127.0.0.1,localhost",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
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
  const dir = await Deno.makeTempDir({ prefix: "ingest-bench-" });
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

/** Runs `ingest <args> --config <settings>` and measures it. */
export function runTool(args: string[], settings?: string): Promise<Measured> {
  const config = settings === undefined ? [] : ["--config", settings];
  return measure(Deno.execPath(), ["run", ...PERMISSIONS, MAIN, ...args, ...config]);
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
