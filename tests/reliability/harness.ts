/**
 * Shared pieces of the reliability suite: the real CLI as a child process (`deno run … main.ts`
 * with loopback-only permissions), a per-test timeout guard that kills every child it started,
 * settings files pointing at an in-process simulator, and checks of the ingestion folder.
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";

/** Absolute path of the CLI entry point. */
export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** The permissions of the shipped binary, limited to loopback. */
export const CHILD_PERMISSIONS = [
  "--allow-net=127.0.0.1,localhost",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
];

/** `sharepoint_folder` of every reliability test. */
export const FOLDER = "/Shared Documents/Drop";
/** The same folder as a simulator file path prefix. */
export const DROP = "Drop";

/** A running `ingest` child process whose output is collected as it arrives. */
export class IngestProcess {
  readonly child: Deno.ChildProcess;
  readonly startedAt = performance.now();
  stdout = "";
  stderr = "";
  readonly #done: Promise<Deno.CommandStatus>;
  #lineWaiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  #pending = "";

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    const pump = async (
      stream: ReadableStream<Uint8Array>,
      onText: (text: string) => void,
    ) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) onText(text);
    };
    const out = pump(child.stdout, (text) => this.stdout += text);
    const err = pump(child.stderr, (text) => this.#onStderr(text));
    this.#done = Promise.all([out, err]).then(() => child.status);
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Exit status once the process ended and its output was read to the end. */
  get status(): Promise<Deno.CommandStatus> {
    return this.#done;
  }

  /** Sends `signal`; false when the process is already gone. */
  kill(signal: Deno.Signal = "SIGKILL"): boolean {
    try {
      this.child.kill(signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves with the first stderr line (already seen or future) matching `pattern`. */
  waitForLine(pattern: RegExp): Promise<string> {
    const seen = this.stderr.split("\n").find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#lineWaiters.push({ pattern, resolve }));
  }

  #onStderr(text: string): void {
    this.stderr += text;
    this.#pending += text;
    const lines = this.#pending.split("\n");
    this.#pending = lines.pop() ?? "";
    for (const line of lines) {
      this.#lineWaiters = this.#lineWaiters.filter((w) => {
        if (!w.pattern.test(line)) return true;
        w.resolve(line);
        return false;
      });
    }
  }
}

/** Options of {@link spawnIngest}. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * The test runner's environment without `INGEST_*` variables: the tool rejects unknown ones, and
 * settings must come from the test's own file only.
 */
function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(Deno.env.toObject()).filter(([key]) => !key.startsWith("INGEST_")),
  );
}

/** Starts `ingest <args>` with `NO_COLOR=1` and loopback exempt from any proxy. */
export function spawnIngest(args: string[], options: SpawnOptions = {}): IngestProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...CHILD_PERMISSIONS, MAIN, ...args],
    cwd: options.cwd,
    clearEnv: true,
    env: { ...inheritedEnv(), NO_COLOR: "1", NO_PROXY: "127.0.0.1,localhost", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new IngestProcess(child);
}

/** Children started under a {@link Guard}; all are killed when it ends. */
export class Guard {
  readonly #children = new Set<IngestProcess>();
  readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
  }

  /** Starts a child that the guard kills on timeout and at the end of the test. */
  spawn(args: string[], options: SpawnOptions = {}): IngestProcess {
    if (this.signal.aborted) throw new Error("Cannot start a process: the test timed out");
    const process = spawnIngest(args, options);
    this.#children.add(process);
    return process;
  }

  /** Runs `ingest <args>` to its end and returns it. */
  async run(args: string[], options: SpawnOptions = {}): Promise<IngestProcess> {
    const process = this.spawn(args, options);
    await process.status;
    return process;
  }

  /**
   * Kills every child still running and waits for all of them, for at most `waitMs`; false when
   * one did not exit by then. A child
   * killed while its runtime still starts may never report its exit under Wine, and a guard that
   * waits for it forever turns a timeout into a hang.
   */
  async killAll(waitMs = 20_000): Promise<boolean> {
    for (const child of this.#children) child.kill("SIGKILL");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<boolean>((resolve) =>
      timer = setTimeout(() => resolve(true), waitMs)
    );
    const ended = Promise.allSettled([...this.#children].map((c) => c.status)).then(() => false);
    const stuck = await Promise.race([ended, gaveUp]);
    clearTimeout(timer);
    return !stuck;
  }
}

/**
 * Runs `body` with a timeout: when `ms` pass first, every child is killed and the test fails.
 * Children are killed and awaited (up to 20 s each time) in every case before this returns.
 */
export async function guarded<T>(ms: number, body: (guard: Guard) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const guard = new Guard(controller.signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`Test timed out after ${ms} ms`));
    }, ms);
  });
  const work = body(guard);
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await Promise.race([work, timeout]) };
  } catch (error) {
    outcome = { error };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  const exited = await guard.killAll();
  if (exited) await work.catch(() => {});
  if ("error" in outcome) throw outcome.error;
  if (!exited) throw new Error("Cannot end the test: a child did not exit 20 s after kill");
  return outcome.value;
}

/** A scratch folder with settings for a simulator; removed by `cleanup`. */
export interface Workspace {
  root: string;
  settings: string;
  ingestionDir: string;
  stagingDir: string;
  cleanup(): Promise<void>;
}

/** TOML value of `value` (strings, numbers, booleans, string arrays). */
/** The path of a listing request, children page or delta page (fault matching). */
export const LISTING_PATH = /\/(children|delta)$/;
/** A listing request in the simulator's log (path and query). */
export const LISTING_URL = /\/(children|delta)(\?|$)/;

export function toml(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * A fresh folder with `settings.toml` for `sim` (`sharepoint_folder` = {@link FOLDER}),
 * `incoming/` as ingestion folder and `staging/` as staging folder, plus `extra` keys.
 */
export async function workspace(
  sim: Simulator,
  extra: Record<string, unknown> = {},
): Promise<Workspace> {
  const root = await Deno.makeTempDir({ prefix: "ingest-rel-" });
  const ingestionDir = `${root}/incoming`;
  const stagingDir = `${root}/staging`;
  const keys = { retry_delay_seconds: 0.05, staging_dir: stagingDir, ...extra };
  const lines = [
    sim.settingsSnippet({ folder: FOLDER, ingestionDir }).trimEnd(),
    ...Object.entries(keys).map(([key, value]) => `${key} = ${toml(value)}`),
  ];
  const settings = `${root}/settings.toml`;
  await Deno.writeTextFile(settings, `${lines.join("\n")}\n`);
  return {
    root,
    settings,
    ingestionDir,
    stagingDir,
    cleanup: () => Deno.remove(root, { recursive: true }).catch(() => {}),
  };
}

/** Names in `dir` (empty when it does not exist). */
export async function namesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}

/** QuickXorHash (Base64) of a file, read in chunks. */
export async function fileQuickXorHash(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  return quickXorHash(bytes);
}

/**
 * Asserts that every file in `dir` is one of `expected` (name → hash and size) with exactly the
 * announced size and QuickXorHash, and that no temporary file is there. Returns the names.
 */
export async function assertCompleteFiles(
  dir: string,
  expected: Map<string, { size: number; quickXorHash: string | undefined }>,
): Promise<string[]> {
  const names = await namesIn(dir);
  for (const name of names) {
    const want = expected.get(name);
    assert.ok(want, `unexpected entry in ingestion_dir: ${name}`);
    const info = await Deno.stat(`${dir}/${name}`);
    assert.ok(info.isFile, `${name} is not a file`);
    assert.equal(info.size, want.size, `${name}: size`);
    assert.equal(await fileQuickXorHash(`${dir}/${name}`), want.quickXorHash, `${name}: hash`);
  }
  return names;
}

/** Parses the JSON log lines of stderr (other lines are ignored). */
export function jsonLogLines(stderr: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line));
    } catch {
      // a line that only looks like JSON
    }
  }
  return lines;
}

/** stdout of `cat <path>` (Deno itself may read /proc only with --allow-all). */
export async function catFile(path: string): Promise<string> {
  const output = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
    .output();
  return new TextDecoder().decode(output.stdout);
}

/** Resident memory (kB) and open file descriptors of a live process. */
export async function processUsage(pid: number): Promise<{ rssKb: number; fds: number }> {
  const status = await catFile(`/proc/${pid}/status`);
  const rssKb = Number(/VmRSS:\s*(\d+)/.exec(status)?.[1] ?? NaN);
  const output = await new Deno.Command("ls", {
    args: [`/proc/${pid}/fd`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const fds = new TextDecoder().decode(output.stdout).split("\n").filter((l) => l !== "").length;
  return { rssKb, fds };
}

/**
 * Milliseconds from the first request logged at index `from` or later until now: how long a run
 * took without its process start, which under load (or Wine) can take many seconds by itself.
 */
export function sinceFirstRequest(sim: Simulator, from: number): number {
  const first = sim.requestLog[from];
  return first === undefined ? 0 : Date.now() - first.at;
}

/** Resolves like `promise`, or with `fallback` when `ms` pass first. */
export async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => timer = setTimeout(() => resolve(fallback), ms));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms` (real time; the suite drives real processes). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts that `text` holds no stack trace lines. */
export function assertNoStack(text: string, what: string): void {
  const frame = text.split("\n").find((line) => /^\s+at /.test(line));
  assert.equal(frame, undefined, `${what} holds a stack trace line: ${frame}`);
}

/** A simulator serving one 2 MiB `slow.bin`, its body sent in 32 KiB chunks `msPerChunk` apart. */
export async function slowSim(msPerChunk: number): Promise<Simulator> {
  const sim = await startSimulator({
    files: [{
      path: `${DROP}/slow.bin`,
      size: 2 * 1024 * 1024,
      lastModified: new Date(Date.now() - 60_000),
    }],
  });
  sim.addFault({
    match: { server: "download" },
    fault: { kind: "slow", delayMs: msPerChunk, chunkBytes: 32 * 1024 },
    times: Infinity,
  });
  return sim;
}
