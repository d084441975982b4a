import assert from "node:assert/strict";
import {
  type CommandResult,
  compileArgs,
  type CompileDeps,
  CompileUsageError,
  describeCompileFailure,
  outputPath,
  parseCompileCli,
  runCompile,
  RUNTIME_PERMISSIONS,
  type Target,
  TARGETS,
} from "../../scripts/compile.ts";

const LINUX = "x86_64-unknown-linux-gnu";

/** Recorded stderr of `deno compile` 2.9.6 without network access (colours included). */
const OFFLINE_STDERR = [
  "\x1b[0m\x1b[32mCompile\x1b[0m main.ts to dist/x.exe",
  "\x1b[0m\x1b[32mDownload\x1b[0m https://dl.deno.land/release/v2.9.6/denort-x86_64-pc-windows-msvc.zip",
  "\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Writing deno compile executable to temporary file 'dist/x.exe.tmp-73c3'",
  "",
  "Caused by:",
  "    0: Setting up base binary.",
  "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-pc-windows-msvc.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known",
  "",
  "Stack backtrace:",
  "   0: <unknown>",
].join("\n");

interface FakeDeps extends CompileDeps {
  calls: string[][];
  envs: Record<string, string>[];
  stdout: string[];
  stderr: string[];
}

function fakeDeps(
  options: {
    env?: Record<string, string>;
    results?: CommandResult[];
    existing?: string[];
    host?: string;
  } = {},
): FakeDeps {
  const calls: string[][] = [];
  const envs: Record<string, string>[] = [];
  const stdout: string[] = [];
  const stderr: string[] = [];
  const results = [...(options.results ?? [])];
  return {
    calls,
    envs,
    stdout,
    stderr,
    run: (args, env) => {
      calls.push(args);
      envs.push(env);
      return Promise.resolve(results.shift() ?? { code: 0, stderr: "" });
    },
    env: (name) => options.env?.[name],
    hostTarget: options.host ?? LINUX,
    denoVersion: "2.9.6",
    fileExists: (path) => Promise.resolve((options.existing ?? []).includes(path)),
    out: (line) => stdout.push(line),
    err: (line) => stderr.push(line),
  };
}

Deno.test("compileArgs() builds one deno compile command per target with the baked permissions", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target);
    assert.equal(args[0], "compile");
    assert.equal(args[args.indexOf("--target") + 1], target);
    assert.equal(args[args.indexOf("--output") + 1], outputPath(target));
    assert.equal(args.at(-1), "main.ts");
    for (const flag of RUNTIME_PERMISSIONS) assert.ok(args.includes(flag), `${target}: ${flag}`);
    assert.ok(args.includes("--frozen"));
    assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
    assert.ok(!args.some((a) => a.startsWith("--allow-run") || a.startsWith("--allow-ffi")));
  }
});

Deno.test("outputPath() adds .exe only for Windows targets", () => {
  assert.equal(outputPath("x86_64-pc-windows-msvc"), "dist/ingest-x86_64-pc-windows-msvc.exe");
  assert.equal(outputPath("aarch64-apple-darwin"), "dist/ingest-aarch64-apple-darwin");
  assert.equal(outputPath(LINUX, "out"), `out/ingest-${LINUX}`);
});

Deno.test("compileArgs() honours entry, output folder and includes", () => {
  const args = compileArgs("aarch64-unknown-linux-gnu", {
    entry: "src/x.ts",
    outDir: "build",
    include: ["assets/a.txt"],
  });
  assert.equal(args.at(-1), "src/x.ts");
  assert.equal(args[args.indexOf("--output") + 1], "build/ingest-aarch64-unknown-linux-gnu");
  assert.equal(args[args.indexOf("--include") + 1], "assets/a.txt");
});

Deno.test("RUNTIME_PERMISSIONS stay narrow: no -A, sys limited to hostname and osRelease", () => {
  assert.ok(!RUNTIME_PERMISSIONS.includes("-A"));
  assert.ok(RUNTIME_PERMISSIONS.includes("--no-prompt"));
  assert.deepEqual(RUNTIME_PERMISSIONS.filter((f) => f.startsWith("--allow-sys")), [
    "--allow-sys=hostname,uid,gid",
  ]);
});

Deno.test("docs/architecture.md quotes RUNTIME_PERMISSIONS verbatim", async () => {
  const url = new URL("../../docs/architecture.md", import.meta.url);
  const text = await Deno.readTextFile(url);
  assert.ok(text.includes(RUNTIME_PERMISSIONS.join(" ")), "permission line missing from docs");
});

Deno.test("parseCompileCli() defaults to the host target", () => {
  assert.deepEqual(parseCompileCli([], { hostTarget: LINUX }).targets, [LINUX]);
});

Deno.test("parseCompileCli() reads --target twice, --target=, and --all", () => {
  const two = parseCompileCli(
    ["--target", "x86_64-apple-darwin", "--target=aarch64-apple-darwin"],
    { hostTarget: LINUX },
  );
  assert.deepEqual(two.targets, ["x86_64-apple-darwin", "aarch64-apple-darwin"]);
  assert.deepEqual(parseCompileCli(["--all"], { hostTarget: LINUX }).targets, [...TARGETS]);
});

Deno.test("parseCompileCli() rejects unknown targets and flags with the list of targets", () => {
  assert.throws(
    () => parseCompileCli(["--target", "mips-unknown-linux"], { hostTarget: LINUX }),
    (e) => e instanceof CompileUsageError && e.message.includes("x86_64-pc-windows-msvc"),
  );
  assert.throws(() => parseCompileCli(["--bogus"], { hostTarget: LINUX }), CompileUsageError);
  assert.throws(() => parseCompileCli(["--target"], { hostTarget: LINUX }), CompileUsageError);
  assert.throws(
    () => parseCompileCli(["--all", "--target", LINUX], { hostTarget: LINUX }),
    CompileUsageError,
  );
});

Deno.test("parseCompileCli() needs --target on a host that is not a release target", () => {
  assert.throws(
    () => parseCompileCli([], { hostTarget: "aarch64-pc-windows-msvc" }),
    /pass --target/,
  );
});

Deno.test("parseCompileCli() refuses several targets when DENORT_BIN is set", () => {
  assert.throws(
    () => parseCompileCli(["--all"], { hostTarget: LINUX, denortBin: "/opt/denort" }),
    (e) => e instanceof CompileUsageError && e.message.includes("DENORT_BIN"),
  );
  const one = parseCompileCli(["--target", LINUX], { hostTarget: LINUX, denortBin: "/opt/d" });
  assert.deepEqual(one.targets, [LINUX]);
});

Deno.test("describeCompileFailure() turns an offline runtime download into one actionable line", () => {
  const target: Target = "x86_64-pc-windows-msvc";
  const line = describeCompileFailure(OFFLINE_STDERR, { target, denoVersion: "2.9.6" });
  assert.ok(!line.includes("\n"));
  assert.ok(!line.includes("\x1b"));
  assert.ok(!line.includes("backtrace"));
  assert.match(line, /^Cannot compile for x86_64-pc-windows-msvc: /);
  assert.ok(line.includes("DENORT_BIN"));
  assert.ok(line.includes("$DENO_DIR/dl/release/v2.9.6/denort-x86_64-pc-windows-msvc.zip"));
});

Deno.test("describeCompileFailure() names the real DENO_DIR when it is known", () => {
  const line = describeCompileFailure("error: dns error: lookup failed", {
    target: LINUX,
    denoVersion: "2.9.6",
    denoDir: "/var/cache/deno",
  });
  assert.ok(line.includes(`/var/cache/deno/dl/release/v2.9.6/denort-${LINUX}.zip`));
  assert.ok(!line.includes("deno info"));
});

Deno.test("describeCompileFailure() keeps Deno's first error line for other failures", () => {
  const stderr = "Check main.ts\nerror: TS2322 [ERROR]: Type 'string' is not assignable\n" +
    "Stack backtrace:\n   0: <unknown>\n";
  const line = describeCompileFailure(stderr, { target: LINUX, denoVersion: "2.9.6" });
  assert.equal(
    line,
    `Cannot compile for ${LINUX}: TS2322 [ERROR]: Type 'string' is not assignable`,
  );
});

Deno.test("runCompile() compiles every target of --all in order and exits 0", async () => {
  const deps = fakeDeps();
  assert.equal(await runCompile(["--all"], deps), 0);
  assert.deepEqual(deps.calls.map((args) => args[args.indexOf("--target") + 1]), [...TARGETS]);
  assert.ok(deps.stdout.some((l) => l.includes(outputPath("x86_64-pc-windows-msvc"))));
});

Deno.test("runCompile() stops at the first failure with exit 1 and one clear line", async () => {
  const deps = fakeDeps({
    results: [{ code: 0, stderr: "" }, { code: 1, stderr: OFFLINE_STDERR }],
  });
  assert.equal(await runCompile(["--all"], deps), 1);
  assert.equal(deps.calls.length, 2);
  assert.equal(deps.stderr.length, 1);
  assert.ok(deps.stderr[0]?.includes("DENORT_BIN"));
});

Deno.test("runCompile() exits 2 for DENORT_BIN with several targets, before running deno", async () => {
  const deps = fakeDeps({ env: { DENORT_BIN: "/opt/denort" }, existing: ["/opt/denort"] });
  assert.equal(await runCompile(["--all"], deps), 2);
  assert.equal(deps.calls.length, 0);
  assert.ok(deps.stderr.some((l) => l.startsWith("Usage:")));
});

Deno.test("runCompile() exits 2 when DENORT_BIN points to a missing file", async () => {
  const deps = fakeDeps({ env: { DENORT_BIN: "/nope/denort" } });
  assert.equal(await runCompile(["--target", LINUX], deps), 2);
  assert.equal(deps.calls.length, 0);
  assert.ok(deps.stderr[0]?.includes("/nope/denort"));
});

Deno.test("runCompile() builds one target with an existing DENORT_BIN", async () => {
  const deps = fakeDeps({ env: { DENORT_BIN: "/opt/denort" }, existing: ["/opt/denort"] });
  assert.equal(await runCompile(["--target", LINUX], deps), 0);
  assert.equal(deps.calls.length, 1);
});

Deno.test("runCompile() reports a runner that cannot start deno as exit 1, not a throw", async () => {
  const deps = fakeDeps();
  deps.run = () => Promise.reject(new Error("No such file or directory"));
  assert.equal(await runCompile([], deps), 1);
  assert.match(deps.stderr[0] ?? "", /^Cannot compile for x86_64-unknown-linux-gnu: cannot start/);
});

Deno.test("runCompile() prints usage for --help and compiles nothing", async () => {
  const deps = fakeDeps();
  assert.equal(await runCompile(["--help"], deps), 0);
  assert.equal(deps.calls.length, 0);
  assert.ok(deps.stdout[0]?.startsWith("Usage:"));
});

Deno.test("runCompile() bakes in DENO_TLS_CA_STORE=mozilla,system by default and says so", async () => {
  const deps = fakeDeps();
  assert.equal(await runCompile(["--all"], deps), 0);
  assert.deepEqual(deps.envs, TARGETS.map(() => ({ DENO_TLS_CA_STORE: "mozilla,system" })));
  assert.ok(
    deps.stdout.some((l) =>
      l.includes("DENO_TLS_CA_STORE=mozilla,system") &&
      l.includes("DENO_TLS_CA_STORE=mozilla opts out")
    ),
    deps.stdout.join("\n"),
  );
});

Deno.test("runCompile() keeps a DENO_TLS_CA_STORE from the environment (the opt-out)", async () => {
  const deps = fakeDeps({ env: { DENO_TLS_CA_STORE: "mozilla" } });
  assert.equal(await runCompile([], deps), 0);
  assert.deepEqual(deps.envs, [{ DENO_TLS_CA_STORE: "mozilla" }]);
  assert.ok(
    deps.stdout.some((l) => l.includes("DENO_TLS_CA_STORE=mozilla (from the environment)")),
  );
});

Deno.test("runCompile() exits 2 for an unknown DENO_TLS_CA_STORE, before running deno", async () => {
  const deps = fakeDeps({ env: { DENO_TLS_CA_STORE: "windows" } });
  assert.equal(await runCompile([], deps), 2);
  assert.equal(deps.calls.length, 0);
  assert.match(deps.stderr[0] ?? "", /DENO_TLS_CA_STORE="windows".*mozilla.*system/);
});
