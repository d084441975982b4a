/**
 * The `ingest` command line (commander). `runCli(args, deps)` parses, runs one command and
 * returns its exit code; it never exits the process, so tests drive it in process.
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { LOG_LEVEL_CHOICES, normaliseLogLevel } from "./config/log_level.ts";
import { CliContext, type CliDeps, type GlobalFlags } from "./commands/context.ts";
import { houseStyleCommanderError } from "./cli_errors.ts";
import { commandHandlers } from "./commands/handlers.ts";
import { ingestCommand, type Invocation } from "./commands/invocation.ts";
import { describeError, ExitCode, exitCodeOf, IngestError } from "./errors.ts";
import { VERSION } from "./version.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0    ok (including "nothing new")
  1    run failed (auth, Graph, DB service, fatal filesystem)
  2    usage or settings error
  3    partial: some files failed, the others were placed
  4    skipped: another run holds the lock
  130  interrupted (SIGINT/Ctrl+C, SIGBREAK) after an abort
  143  terminated (SIGTERM) after an abort
  Over several jobs: 1 if any job failed, else 3 if any was partial, else 4 if any was skipped.`;

const EXAMPLES: readonly (readonly [args: string, what: string])[] = [
  ["demo", "try it against the built-in simulator"],
  ["check --config settings.toml", "verify settings, credentials, folder, DB service"],
  ["trigger --lookback 36h", "catch up after downtime"],
  ["trigger --dry-run --json", "show what would be downloaded"],
  ["trigger --job reports", "one job of a settings file with [jobs.*] tables"],
  ["run-once", "one scheduled iteration (Task Scheduler, cron)"],
  ["run", "the scheduler daemon"],
  ["next --count 8", "next planned run times"],
  ["schedule print --task-scheduler", "Task Scheduler XML from the settings"],
  ["schedule print --kubernetes", "one Kubernetes CronJob per job"],
];

/** The examples as the operator types them here (`deno task ingest …` from source). */
function examplesHelp(invocation: Invocation): string {
  const rows = EXAMPLES.map(([args, what]) => [ingestCommand(invocation, args), what] as const);
  const width = Math.max(...rows.map(([command]) => command.length)) + 3;
  return "\nExamples:\n" + rows.map(([command, what]) => `  ${command.padEnd(width)}${what}`)
    .join("\n");
}

const SINCE_HELP = "window start, RFC 3339 (e.g. 2026-11-25T00:00:00Z)";
const LOOKBACK_HELP = "window length ending now, e.g. 90m, 36h, 7d";
const DRY_RUN_HELP = "list what would be downloaded, download nothing";
const JOB_HELP = "only this job ([jobs.NAME]); repeat for several (default: every job)";

/** Collects a repeatable option's values. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--log-level`: the parser `log_level` uses in the settings file and the environment. */
function logLevelArg(text: string): string {
  const level = normaliseLogLevel(text);
  if (!level) throw new InvalidArgumentError(`expected one of ${LOG_LEVEL_CHOICES}`);
  return level;
}

function globals(command: { optsWithGlobals(): unknown }): GlobalFlags {
  return command.optsWithGlobals() as GlobalFlags;
}

const FULL_HELP = "list the whole folder, ignoring the saved delta link, for this run";
const IGNORE_LEDGER_HELP =
  "download again what this job placed before when the DB service does not list it (the watcher lost files); see docs/troubleshooting.md";

function buildProgram(deps: CliDeps, setExit: (code: number) => void) {
  const handlers = commandHandlers();
  const program = new Command("ingest")
    .description(
      "Pull new files from a SharePoint folder (Microsoft Graph) into an ingestion directory.",
    )
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .option(
      "-c, --config <path>",
      "settings file (default: $INGEST_CONFIG, ./settings.toml, beside the binary)",
    )
    .addOption(
      new Option("--log-level <level>", "log level: debug, info, warning, error, critical")
        .argParser(logLevelArg),
    )
    .addOption(
      new Option("--log-format <format>", "log format on stderr").choices(
        ["auto", "pretty", "json"] as const,
      ),
    )
    .option("--json", "machine-readable result on stdout")
    .option("--progress", "live status display on stderr even when it is not a terminal")
    .option("--no-progress", "no live status display, even on a terminal")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: deps.stdout,
      writeErr: deps.stderr,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
      outputError: (text, write) => write(houseStyleCommanderError(text)),
    })
    .addHelpText("after", examplesHelp(deps) + "\n" + EXIT_CODES_HELP);

  const run = async (
    action: (ctx: CliContext) => Promise<number>,
    cmd: { optsWithGlobals(): unknown },
  ) => {
    setExit(await action(new CliContext(deps, globals(cmd))));
  };

  program.command("run").description(
    "start the scheduler and block until Ctrl+C, Ctrl+Break or SIGTERM",
  )
    .option("--job <name>", JOB_HELP, collect)
    .action((opts, cmd) => run((ctx) => handlers.run(ctx, opts), cmd));
  program.command("run-once").description("run one scheduled iteration and exit with its code")
    .option("--since <time>", SINCE_HELP)
    .option("--lookback <duration>", LOOKBACK_HELP)
    .option("--dry-run", DRY_RUN_HELP)
    .option("--full", FULL_HELP)
    .option("--job <name>", JOB_HELP, collect)
    .action((opts, cmd) => run((ctx) => handlers.runOnce(ctx, opts), cmd));
  program.command("trigger").description("run one sync now, irrespective of the schedule")
    .option("--since <time>", SINCE_HELP)
    .option("--lookback <duration>", LOOKBACK_HELP)
    .option("--dry-run", DRY_RUN_HELP)
    .option(
      "--force",
      "run a disabled job, or alongside a run in progress (here or in another process)",
    )
    .option("--full", FULL_HELP)
    .option("--ignore-ledger", IGNORE_LEDGER_HELP)
    .option("--job <name>", JOB_HELP, collect)
    .action((opts, cmd) => run((ctx) => handlers.trigger(ctx, opts), cmd));
  program.command("next").description("print the next planned run times in the configured zone")
    .option("-n, --count <n>", "how many", "5")
    .option("--job <name>", JOB_HELP, collect)
    .action((opts, cmd) => run((ctx) => handlers.next(ctx, opts), cmd));
  program.command("check").description(
    "verify settings, token, site/folder, DB service, directories, lock, clock",
  )
    .option("--job <name>", JOB_HELP, collect)
    .action((opts, cmd) => run((ctx) => handlers.check(ctx, opts), cmd));
  program.command("config").description(
    "print the effective settings (secrets redacted) and their sources",
  )
    .option("--job <name>", JOB_HELP, collect)
    .action((opts, cmd) => run((ctx) => handlers.config(ctx, opts), cmd));
  program.command("sim").description(
    "start the built-in Microsoft Graph simulator and print its settings",
  )
    .option("--files <n>", "serve this many generated files instead of the demo set")
    .option("--seed-dir <dir>", "serve the files of this folder instead of generated ones")
    .option(
      "--port <port>",
      "first of five consecutive ports: Graph, login, download, DB, managed identity (default: free ports)",
    )
    .option("--tls", "serve HTTPS with a CA made for this run (prints its ca_file)")
    .option(
      "--download-accepts-authorization",
      "let the download origin ignore an Authorization header like real SharePoint (default: 401)",
    )
    .option(
      "--quirk <name>",
      "switch on a hostile SharePoint behaviour (repeatable): malformed-item, looping-delta, " +
        "repeated-next-link, looping-children, folder-410, root-410, broken-location, chunked, gzip, html-page, malware",
      collect,
    )
    .action((opts, cmd) => run((ctx) => handlers.sim(ctx, opts), cmd));
  program.command("demo").description(
    "run a sync against the built-in simulator, twice, into ./demo/incoming",
  )
    .option("--dir <dir>", "ingestion folder for the demo", "demo/incoming")
    .action((opts, cmd) => run((ctx) => handlers.demo(ctx, opts), cmd));
  const schedule = program.command("schedule").description("scheduler integration helpers");
  schedule.command("print").description(
    "print a Task Scheduler task, systemd units, crontab lines or Kubernetes CronJobs",
  )
    .option("--task-scheduler", "Windows Task Scheduler XML (run-once)")
    .option("--systemd", "systemd service + timer (run-once)")
    .option("--systemd-daemon", "systemd service for the `run` daemon")
    .option("--cron", "crontab line")
    .option("--binary <path>", "path of the ingest binary (default: this executable)")
    .option("--kubernetes", "Kubernetes CronJobs, one per job (run-once in a container)")
    .option("--image <image>", "container image of the CronJobs (with --kubernetes)")
    .option(
      "--workload-identity",
      "Entra Workload ID: a ServiceAccount and no credential Secret (with --kubernetes)",
    )
    .option("--job <name>", JOB_HELP, collect)
    .option(
      "--output <file>",
      "write to FILE instead of stdout (Task Scheduler XML: UTF-16LE with a BOM, for schtasks)",
    )
    .action((opts, cmd) => run((ctx) => handlers.schedulePrint(ctx, opts), cmd));
  return program;
}

/** `ingest help NAME` for a NAME that is no command: the error, else undefined. */
function helpForUnknownCommand(
  program: { commands: readonly { name(): string }[] },
  args: readonly string[],
): string | undefined {
  if (args[0] !== "help" || args[1] === undefined) return undefined;
  const names = program.commands.map((c) => c.name());
  if (names.includes(args[1])) return undefined;
  const hint = names.find((name) => name.startsWith(args[1]!.slice(0, 3)));
  return `Cannot show help for "${args[1]}": unknown command (commands: ${names.join(", ")})` +
    (hint ? ` (did you mean ${hint}?)` : "");
}

function commanderExit(error: CommanderError): number {
  if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code)) {
    return ExitCode.Ok;
  }
  if (error.code === "commander.executeSubCommandAsync") return ExitCode.Ok;
  return ExitCode.Usage;
}

/**
 * Runs the CLI with `args` (without the program name) and returns the exit code.
 * Errors become one line on stderr: `ingest: <message>`; nothing is thrown.
 */
export async function runCli(args: string[], deps: CliDeps): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(deps, (code) => (exitCode = code));
  if (args.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.Usage;
  }
  const unknownHelp = helpForUnknownCommand(program, args);
  if (unknownHelp) {
    deps.stderr(`ingest: ${unknownHelp}\n`);
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExit(error);
    const prefix = error instanceof IngestError ? "" : "unexpected error: ";
    for (const line of describeError(error).split("\n")) deps.stderr(`ingest: ${prefix}${line}\n`);
    return exitCodeOf(error);
  }
}
