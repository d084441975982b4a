/**
 * `ingest schedule print`: Task Scheduler XML, systemd units or a crontab line from the settings.
 * @module
 */
import { posix, resolve, win32 } from "node:path";
import { basename, fromFileUrl } from "../path_util.ts";
import { ExitCode, IngestError, UsageError } from "../errors.ts";
import {
  crontabLine,
  systemdDaemonService,
  systemdUnits,
  taskSchedulerXml,
  utf16leWithBom,
} from "../ops/schedule_print.ts";
import type { SchedulePrintInput } from "../ops/schedule_input.ts";
import { RUNTIME_PERMISSIONS, RUNTIME_V8_FLAGS } from "../permissions.ts";
import type { CliContext } from "./context.ts";

/** Flags of `schedule print`. */
export interface SchedulePrintFlags {
  taskScheduler?: boolean;
  systemd?: boolean;
  systemdDaemon?: boolean;
  cron?: boolean;
  binary?: string;
  /** Write the definition to this file instead of stdout. */
  output?: string;
}

/** Folder of `path`, in the path style `path` is written in (a Windows path can be printed on Linux). */
function folderOf(path: string): string {
  return /^(?:[A-Za-z]:[\\/]|\\\\)/.test(path) ? win32.dirname(path) : posix.dirname(path);
}

/** Under `deno run` the executable is deno itself: the task must start `deno run … main.ts`. */
function launcher(execPath: string, mainModule: string): readonly string[] | undefined {
  if (!/^deno(\.exe)?$/i.test(basename(execPath)) || !mainModule.startsWith("file:")) {
    return undefined;
  }
  return ["run", ...RUNTIME_PERMISSIONS, ...RUNTIME_V8_FLAGS, fromFileUrl(mainModule)];
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

/** The definition as text, and as the bytes of `--output` (UTF-16LE + BOM for Task Scheduler). */
function render(chosen: string, input: SchedulePrintInput): { text: string; file: Uint8Array } {
  const utf8 = (text: string) => ({ text, file: new TextEncoder().encode(text) });
  switch (chosen) {
    case "taskScheduler":
      return {
        text: taskSchedulerXml(input),
        file: utf16leWithBom(taskSchedulerXml(input, { utf16: true }).replaceAll("\n", "\r\n")),
      };
    case "systemd": {
      const units = systemdUnits(input);
      return utf8(`# ingest.service\n${units.service}\n# ingest.timer\n${units.timer}`);
    }
    case "systemdDaemon":
      return utf8(systemdDaemonService(input));
    default:
      return utf8(crontabLine(input));
  }
}

/** Prints the chosen scheduler definition on stdout, or writes it to `--output`. */
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
  const { text, file } = render(chosen[0]!, input);
  if (flags.output === undefined) ctx.print(text);
  else await writeOutput(resolve(ctx.deps.cwd, flags.output), file);
  return ExitCode.Ok;
}
