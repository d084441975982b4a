/**
 * `deno task compile`: builds single-file `ingest` executables with `deno compile`.
 *
 * ```
 * deno task compile                      # the host's target
 * deno task compile --target x86_64-pc-windows-msvc
 * deno task compile --all                # every supported target
 * DENORT_BIN=/path/denort deno task compile --target x86_64-unknown-linux-gnu
 * ```
 *
 * Trusted roots: the binaries are built with `DENO_TLS_CA_STORE=mozilla,system`, which
 * `deno compile` bakes in, so they trust Mozilla's roots and the OS store (on Windows the
 * certificate store, where group policy puts a TLS-inspecting proxy's root). Opt out with
 * `DENO_TLS_CA_STORE=mozilla deno task compile` (Mozilla's roots only).
 *
 * Output: `dist/ingest-<target>` (`.exe` for Windows). Exit codes: 0 built, 1 compile failed,
 * 2 usage error. `deno compile` needs the Deno runtime (`denort-<target>.zip`) from
 * dl.deno.land, or `DENORT_BIN`, or a pre-seeded copy in `$DENO_DIR`; when none is reachable
 * this script says so in one line instead of Deno's backtrace.
 * @module
 */
import { RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "../src/permissions.ts";

/** Targets `ingest` is released for. */
export const TARGETS = [
  "x86_64-pc-windows-msvc",
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
] as const;

/** One of {@link TARGETS}. */
export type Target = typeof TARGETS[number];

export { RUNTIME_PERMISSIONS };

/** Root stores baked into release binaries unless `DENO_TLS_CA_STORE` says otherwise. */
export const DEFAULT_CA_STORE = "mozilla,system";

/** The store to bake in: `DENO_TLS_CA_STORE` when set, else {@link DEFAULT_CA_STORE}. */
export function caStoreFor(value: string | undefined): string {
  const store = value?.trim() || DEFAULT_CA_STORE;
  const unknown = store.split(",").map((s) => s.trim()).filter((s) =>
    s !== "mozilla" && s !== "system"
  );
  if (unknown.length > 0) {
    throw new CompileUsageError(
      `Cannot use DENO_TLS_CA_STORE="${store}": allowed are "mozilla", "system" or both`,
    );
  }
  return store;
}

/** Exit codes of this script. */
export const CompileExit = { Ok: 0, Failed: 1, Usage: 2 } as const;

/** Options of {@link compileArgs}. */
export interface CompileOptions {
  /** Entry module; default "main.ts". */
  entry?: string;
  /** Output folder; default "dist". */
  outDir?: string;
  /** Extra files or modules to embed (`--include`); none are needed today. */
  include?: readonly string[];
}

/** Path of the executable built for `target`: `<outDir>/ingest-<target>[.exe]`. */
export function outputPath(target: Target, outDir = "dist"): string {
  const suffix = target.includes("windows") ? ".exe" : "";
  return `${outDir}/ingest-${target}${suffix}`;
}

/**
 * Arguments for `deno` that compile `ingest` for `target`.
 *
 * `--frozen` refuses a lockfile that does not match `deno.json`; `--exclude-unused-npm` keeps
 * test-only packages out of the binary.
 */
export function compileArgs(target: Target, options: CompileOptions = {}): string[] {
  const include = (options.include ?? []).flatMap((path) => ["--include", path]);
  return [
    "compile",
    "--frozen",
    "--exclude-unused-npm",
    "--target",
    target,
    "--output",
    outputPath(target, options.outDir),
    ...RUNTIME_PERMISSIONS,
    ...RUNTIME_V8_FLAGS,
    ...include,
    options.entry ?? "main.ts",
  ];
}

/** The command line of this script was wrong. */
export class CompileUsageError extends Error {
  override name = "CompileUsageError";
}

/** True when `value` is one of {@link TARGETS}. */
export function isTarget(value: string): value is Target {
  return (TARGETS as readonly string[]).includes(value);
}

/** What the command line asks for. */
export interface CompilePlan {
  targets: Target[];
  help: boolean;
}

/** Inputs of {@link parseCompileCli} besides the arguments. */
export interface ParseContext {
  /** `Deno.build.target` of the machine running the script. */
  hostTarget: string;
  /** Value of `DENORT_BIN`, if set. */
  denortBin?: string;
}

function targetFrom(value: string | undefined): Target {
  if (value === undefined || value.startsWith("--")) {
    throw new CompileUsageError("Cannot read --target: a target name must follow it");
  }
  if (!isTarget(value)) {
    throw new CompileUsageError(
      `Cannot compile for "${value}": unknown target (known: ${TARGETS.join(", ")})`,
    );
  }
  return value;
}

/**
 * Reads `[--target T ...] [--all] [--help]`.
 * @throws {CompileUsageError} for unknown flags or targets, `--all` with `--target`, or
 *   several targets with `DENORT_BIN` set (Deno uses that one runtime whatever the target, so
 *   a second target would silently get the wrong runtime).
 */
export function parseCompileCli(args: readonly string[], context: ParseContext): CompilePlan {
  const named: Target[] = [];
  let all = false;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--all") all = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else if (arg === "--target") named.push(targetFrom(args[++i]));
    else if (arg.startsWith("--target=")) named.push(targetFrom(arg.slice("--target=".length)));
    else throw new CompileUsageError(`Cannot compile: unknown argument "${arg}"`);
  }
  if (help) return { targets: [], help };
  if (all && named.length > 0) {
    throw new CompileUsageError("Cannot compile: give either --all or --target, not both");
  }
  const targets = all ? [...TARGETS] : [...new Set(named)];
  if (targets.length === 0) {
    if (!isTarget(context.hostTarget)) {
      throw new CompileUsageError(
        `Cannot compile for this host (${context.hostTarget}): not a release target; pass --target`,
      );
    }
    targets.push(context.hostTarget);
  }
  if (context.denortBin && targets.length > 1) {
    throw new CompileUsageError(
      "Cannot compile several targets with DENORT_BIN set: Deno uses that runtime for every " +
        "target; build one --target per call, each with its own DENORT_BIN",
    );
  }
  return { targets, help };
}

/** Usage text printed by `--help` and after a usage error. */
export const USAGE = [
  "Usage: deno task compile [--target <target> ...] [--all]",
  `Targets: ${TARGETS.join(", ")}`,
  "Default: the host's target. Output: dist/ingest-<target>[.exe].",
  "DENORT_BIN=<path to denort for that target> builds without downloading (one target per call).",
  `Trusted roots: DENO_TLS_CA_STORE=${DEFAULT_CA_STORE} is baked in by default; ` +
  "DENO_TLS_CA_STORE=mozilla opts out of the OS store.",
].join("\n");

/** Removes ANSI colour codes from Deno's output. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

const DOWNLOAD_FAILURE = /dl\.deno\.land|Setting up base binary|dns error|denort/i;

/** Where `deno compile` looks for a pre-seeded runtime of `target`. */
export function denortCachePath(target: Target, denoVersion: string, denoDir?: string): string {
  return `${denoDir ?? "$DENO_DIR"}/dl/release/v${denoVersion}/denort-${target}.zip`;
}

/** Context of {@link describeCompileFailure}. */
export interface FailureContext {
  target: Target;
  denoVersion: string;
  denoDir?: string;
}

/**
 * One line for the operator from the stderr of a failed `deno compile`: a runtime download
 * failure names the two offline remedies; anything else keeps Deno's first error line.
 */
export function describeCompileFailure(stderr: string, context: FailureContext): string {
  const text = stripAnsi(stderr);
  const { target } = context;
  if (DOWNLOAD_FAILURE.test(text)) {
    const cached = denortCachePath(target, context.denoVersion, context.denoDir);
    const where = context.denoDir ? "" : " (`deno info` shows DENO_DIR)";
    return `Cannot compile for ${target}: the Deno runtime could not be downloaded from ` +
      `dl.deno.land; set DENORT_BIN to a denort binary for ${target}, or pre-seed ${cached}${where}`;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  const backtrace = lines.findIndex((l) => l.startsWith("Stack backtrace"));
  const useful = backtrace >= 0 ? lines.slice(0, backtrace) : lines;
  const errorLine = useful.find((l) => l.startsWith("error")) ?? useful.at(-1) ?? "no output";
  return `Cannot compile for ${target}: ${errorLine.replace(/^error:\s*/, "")}`;
}

/** Result of one `deno` invocation. */
export interface CommandResult {
  code: number;
  stderr: string;
}

/** Runs `deno <args>` with `env` added; injected so tests never run a real compile. */
export type CommandRunner = (
  args: string[],
  env: Record<string, string>,
) => Promise<CommandResult>;

/** Everything {@link runCompile} touches outside its arguments. */
export interface CompileDeps {
  run: CommandRunner;
  env: (name: string) => string | undefined;
  hostTarget: string;
  denoVersion: string;
  /** True when a file exists at `path`. */
  fileExists: (path: string) => Promise<boolean>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * The script: parses `args`, compiles each target in turn, stops at the first failure.
 * Never throws; returns the exit code.
 */
export async function runCompile(args: readonly string[], deps: CompileDeps): Promise<number> {
  const denortBin = deps.env("DENORT_BIN") || undefined;
  let plan: CompilePlan;
  try {
    plan = parseCompileCli(args, { hostTarget: deps.hostTarget, denortBin });
  } catch (error) {
    if (!(error instanceof CompileUsageError)) throw error;
    deps.err(error.message);
    deps.err(USAGE);
    return CompileExit.Usage;
  }
  if (plan.help) {
    deps.out(USAGE);
    return CompileExit.Ok;
  }
  if (denortBin && !(await deps.fileExists(denortBin))) {
    deps.err(`Cannot compile: DENORT_BIN points to "${denortBin}", which does not exist`);
    return CompileExit.Usage;
  }
  let store: string;
  try {
    store = caStoreFor(deps.env("DENO_TLS_CA_STORE"));
  } catch (error) {
    deps.err((error as Error).message);
    return CompileExit.Usage;
  }
  deps.out(
    `Trusted roots baked into the binaries: DENO_TLS_CA_STORE=${store}` +
      (store === DEFAULT_CA_STORE
        ? " (Mozilla's roots and the OS store; DENO_TLS_CA_STORE=mozilla opts out of the OS store)"
        : " (from the environment)"),
  );
  const context = { denoVersion: deps.denoVersion, denoDir: deps.env("DENO_DIR") || undefined };
  for (const target of plan.targets) {
    deps.out(`Compiling ${outputPath(target)} (${target})`);
    let result: CommandResult;
    try {
      result = await deps.run(compileArgs(target), { DENO_TLS_CA_STORE: store });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.err(`Cannot compile for ${target}: cannot start deno: ${reason}`);
      return CompileExit.Failed;
    }
    if (result.code !== 0) {
      deps.err(describeCompileFailure(result.stderr, { target, ...context }));
      return CompileExit.Failed;
    }
    deps.out(`Built ${outputPath(target)}`);
  }
  return CompileExit.Ok;
}

async function runDeno(args: string[], env: Record<string, string>): Promise<CommandResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
    env: { ...env, NO_COLOR: "1" },
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Real dependencies of the script. */
export function defaultCompileDeps(): CompileDeps {
  return {
    run: runDeno,
    env: (name) => Deno.env.get(name),
    hostTarget: Deno.build.target,
    denoVersion: Deno.version.deno,
    fileExists,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  };
}

if (import.meta.main) {
  Deno.exit(await runCompile(Deno.args, defaultCompileDeps()));
}
