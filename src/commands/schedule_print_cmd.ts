/**
 * `ingest schedule print`: Task Scheduler XML, systemd units or a crontab line from the settings.
 * @module
 */
import { posix, resolve, win32 } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { ExitCode, IngestError, UsageError } from "../errors.ts";
import {
  crontabLine,
  systemdDaemonService,
  systemdUnits,
  taskSchedulerXml,
  utf16leWithBom,
} from "../ops/schedule_print.ts";
import { type SchedulePrintInput, unitName } from "../ops/schedule_input.ts";
import { kubernetesCronJobs } from "../ops/kubernetes.ts";
import type { Settings } from "../config/settings.ts";
import { RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "../permissions.ts";
import type { CliContext } from "./context.ts";
import { runsUnderDeno } from "./invocation.ts";

/** Flags of `schedule print`. */
export interface SchedulePrintFlags {
  taskScheduler?: boolean;
  systemd?: boolean;
  systemdDaemon?: boolean;
  cron?: boolean;
  kubernetes?: boolean;
  image?: string;
  /** `--workload-identity` (with `--kubernetes`): Entra Workload ID instead of a Secret. */
  workloadIdentity?: boolean;
  binary?: string;
  /** `--job NAME` (repeatable); empty: every job. */
  job?: string[];
  /** Write the definition to this file instead of stdout. */
  output?: string;
}

/** Folder of `path`, in the path style `path` is written in (a Windows path can be printed on Linux). */
function folderOf(path: string): string {
  return /^(?:[A-Za-z]:[\\/]|\\\\)/.test(path) ? win32.dirname(path) : posix.dirname(path);
}

/** Under `deno run` the executable is deno itself: the task must start `deno run … main.ts`. */
function launcher(execPath: string, mainModule: string): readonly string[] | undefined {
  if (!runsUnderDeno(execPath) || !mainModule.startsWith("file:")) {
    return undefined;
  }
  return ["run", ...RUNTIME_PERMISSIONS, ...RUNTIME_V8_FLAGS, fromFileUrl(mainModule)];
}

type Target = "taskScheduler" | "systemd" | "systemdDaemon" | "cron" | "kubernetes";

const TARGETS: readonly Target[] = [
  "taskScheduler",
  "systemd",
  "systemdDaemon",
  "cron",
  "kubernetes",
];

/** One printer's output for one job (`jobs`: the `--job` arguments its command line needs). */
function printOne(target: Target, input: SchedulePrintInput): string {
  switch (target) {
    case "taskScheduler":
      return taskSchedulerXml(input);
    case "systemd": {
      const units = systemdUnits(input);
      const name = unitName(input);
      return `# ${name}.service\n${units.service}\n# ${name}.timer\n${units.timer}`;
    }
    case "systemdDaemon":
      return systemdDaemonService(input);
    default:
      return crontabLine(input);
  }
}

/** Writes `bytes` to `path` through a temporary file beside it, so no half-written file remains. */
async function writeOutput(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new IngestError(`Cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Prints the chosen scheduler definition on stdout, or writes it to `--output`. */
export async function schedulePrintCommand(
  ctx: CliContext,
  flags: SchedulePrintFlags,
): Promise<number> {
  const chosen = TARGETS.filter((k) => flags[k]);
  if (chosen.length !== 1) {
    throw new UsageError(
      "Cannot print a schedule: choose exactly one of --task-scheduler, --systemd, " +
        "--systemd-daemon, --cron, --kubernetes",
    );
  }
  const target = chosen[0]!;
  if (flags.image !== undefined && target !== "kubernetes") {
    throw new UsageError("Cannot use --image: it only applies to --kubernetes");
  }
  if (flags.workloadIdentity && target !== "kubernetes") {
    throw new UsageError("Cannot use --workload-identity: it only applies to --kubernetes");
  }
  // Printing manifests reads no secret file: the workstation may not hold the secrets.
  const loaded = await ctx.loadJobs(flags.job, {}, { readSecrets: false });
  const configPath = loaded.configPath;
  if (configPath === undefined) {
    throw new UsageError(
      "Cannot print a schedule: the settings did not come from a file; pass --config PATH",
    );
  }
  const jobs = loaded.jobs.map((job) => job.settings);
  if (target === "kubernetes") {
    if (flags.image === undefined) {
      ctx.stderr(
        "ingest: warning: no --image given: the CronJobs use ingest:latest; pass --image " +
          "REGISTRY/ingest:VERSION to pin the image your cluster pulls\n",
      );
    }
    await emit(
      ctx,
      flags,
      kubernetesCronJobs({
        jobs,
        configPath,
        image: flags.image,
        workloadIdentity: flags.workloadIdentity,
      }),
    );
    return ExitCode.Ok;
  }
  const manyJobs = loaded.names.length > 1;
  if (manyJobs && jobs.length > 1 && (target === "taskScheduler" || target === "systemd")) {
    throw new UsageError(
      `Cannot print one ${target === "systemd" ? "systemd timer" : "Task Scheduler task"} for ` +
        `${jobs.length} jobs (${jobs.map((j) => j.job).join(", ")}): each job has its own ` +
        "schedule; run this command once per job, each time with --job NAME",
    );
  }
  const binaryPath = flags.binary ?? ctx.deps.execPath;
  const launcherArgs = flags.binary ? undefined : launcher(binaryPath, ctx.deps.mainModule);
  const base = {
    binaryPath,
    configPath,
    workingDir: folderOf(binaryPath),
    hostTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...(launcherArgs ? { launcherArgs } : {}),
  };
  if (target === "systemdDaemon") {
    const selected = manyJobs && (flags.job?.length ?? 0) > 0
      ? { jobs: jobs.map((j) => j.job) }
      : {};
    await emit(
      ctx,
      flags,
      printOne(target, { ...base, settings: longestShutdown(jobs), ...selected }),
    );
    return ExitCode.Ok;
  }
  const parts = jobs.map((settings) =>
    printOne(target, { ...base, settings, ...(manyJobs ? { jobs: [settings.job] } : {}) })
  );
  if (target === "cron") checkOneZone(jobs);
  if (target === "systemd" && flags.output !== undefined) {
    await writeSystemdPair(ctx, flags.output, {
      ...base,
      settings: jobs[0]!,
      ...(manyJobs ? { jobs: [jobs[0]!.job] } : {}),
    });
    return ExitCode.Ok;
  }
  if (target === "taskScheduler" && flags.output !== undefined) {
    const input = { ...base, settings: jobs[0]!, ...(manyJobs ? { jobs: [jobs[0]!.job] } : {}) };
    const xml = taskSchedulerXml(input, { utf16: true }).replaceAll("\n", "\r\n");
    await writeOutput(resolve(ctx.deps.cwd, flags.output), utf16leWithBom(xml));
    return ExitCode.Ok;
  }
  await emit(ctx, flags, target === "cron" ? mergeCrontabs(parts) : parts.join("\n"));
  return ExitCode.Ok;
}

/**
 * `--systemd --output DIR/NAME.service`: the service to that file and the timer beside it as
 * `NAME.timer`, the two files systemd expects.
 */
async function writeSystemdPair(
  ctx: CliContext,
  output: string,
  input: SchedulePrintInput,
): Promise<void> {
  if (!output.endsWith(".service")) {
    throw new UsageError(
      `Cannot use --output ${output} with --systemd: name the .service file (e.g. ` +
        `${unitName(input)}.service); the .timer is written beside it`,
    );
  }
  const units = systemdUnits(input);
  const servicePath = resolve(ctx.deps.cwd, output);
  const timerPath = servicePath.replace(/\.service$/, ".timer");
  await writeOutput(servicePath, new TextEncoder().encode(units.service));
  await writeOutput(timerPath, new TextEncoder().encode(units.timer));
  ctx.stderr(`ingest: wrote ${servicePath} and ${timerPath}\n`);
}

/** Prints `text`, or writes it as UTF-8 to `--output`. */
async function emit(ctx: CliContext, flags: SchedulePrintFlags, text: string): Promise<void> {
  if (flags.output === undefined) ctx.print(text);
  else await writeOutput(resolve(ctx.deps.cwd, flags.output), new TextEncoder().encode(text));
}

/** One crontab's `CRON_TZ=` applies to every line after it: the jobs must share a zone. */
function checkOneZone(jobs: readonly Settings[]): void {
  const zones = new Set(jobs.map((s) => s.timezone));
  if (zones.size <= 1) return;
  throw new UsageError(
    `Cannot print one crontab for jobs in different time zones (${
      jobs.map((s) => `${s.job}: ${s.timezone}`).join(", ")
    }): print each with --job into its own crontab, or use one timezone`,
  );
}

/** The job whose shutdown takes longest: the daemon's service waits for all of them. */
function longestShutdown(jobs: readonly Settings[]): Settings {
  return jobs.reduce((a, b) => b.shutdown_timeout_seconds > a.shutdown_timeout_seconds ? b : a);
}

/** Several jobs' crontab lines under one header (`CRON_TZ=` applies to the lines after it). */
function mergeCrontabs(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0]!;
  const [first, ...rest] = parts;
  return [first!.trimEnd(), ...rest.map((part) => part.split("\n").slice(1).join("\n").trimEnd())]
    .join("\n") + "\n";
}
