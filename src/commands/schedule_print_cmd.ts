/**
 * `ingest schedule print`: Task Scheduler XML, systemd units or a crontab line from the settings.
 * @module
 */
import { posix, win32 } from "node:path";
import { fromFileUrl } from "../path_util.ts";
import { ExitCode, UsageError } from "../errors.ts";
import {
  crontabLine,
  systemdDaemonService,
  systemdUnits,
  taskSchedulerXml,
} from "../ops/schedule_print.ts";
import type { SchedulePrintInput } from "../ops/schedule_input.ts";
import { RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "../permissions.ts";
import type { CliContext } from "./context.ts";
import { runsUnderDeno } from "./invocation.ts";

/** Flags of `schedule print`. */
export interface SchedulePrintFlags {
  taskScheduler?: boolean;
  systemd?: boolean;
  systemdDaemon?: boolean;
  cron?: boolean;
  binary?: string;
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

/** Prints the chosen scheduler definition on stdout. */
export async function schedulePrintCommand(
  ctx: CliContext,
  flags: SchedulePrintFlags,
): Promise<number> {
  const chosen = (["taskScheduler", "systemd", "systemdDaemon", "cron"] as const).filter((k) =>
    flags[k]
  );
  if (chosen.length !== 1) {
    throw new UsageError(
      "Cannot print a schedule: choose exactly one of --task-scheduler, --systemd, --systemd-daemon, --cron",
    );
  }
  const { settings } = await ctx.load();
  if (settings.config_path === undefined) {
    throw new UsageError(
      "Cannot print a schedule: the settings did not come from a file; pass --config PATH",
    );
  }
  const binaryPath = flags.binary ?? ctx.deps.execPath;
  const launcherArgs = flags.binary ? undefined : launcher(binaryPath, ctx.deps.mainModule);
  const input: SchedulePrintInput = {
    settings,
    binaryPath,
    configPath: settings.config_path,
    workingDir: folderOf(binaryPath),
    hostTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    ...(launcherArgs ? { launcherArgs } : {}),
  };
  switch (chosen[0]) {
    case "taskScheduler":
      ctx.print(taskSchedulerXml(input));
      break;
    case "systemd": {
      const units = systemdUnits(input);
      ctx.print(`# ingest.service\n${units.service}\n# ingest.timer\n${units.timer}`);
      break;
    }
    case "systemdDaemon":
      ctx.print(systemdDaemonService(input));
      break;
    default:
      ctx.print(crontabLine(input));
  }
  return ExitCode.Ok;
}
