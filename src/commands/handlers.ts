/**
 * The command implementations behind `src/cli.ts`.
 * @module
 */
import { ExitCode, IngestError } from "../errors.ts";
import type { CliContext } from "./context.ts";

/** Options of `trigger` / `run-once`. */
export interface WindowFlags {
  since?: string;
  lookback?: string;
  dryRun?: boolean;
  force?: boolean;
}

function notYet(name: string): never {
  throw new IngestError(`Cannot run "${name}": not implemented in this build`, {
    exitCode: ExitCode.Failed,
  });
}

/** Every command handler, by command. */
export function commandHandlers() {
  return {
    run: (_ctx: CliContext): Promise<number> => notYet("run"),
    runOnce: (_ctx: CliContext, _opts: WindowFlags): Promise<number> => notYet("run-once"),
    trigger: (_ctx: CliContext, _opts: WindowFlags): Promise<number> => notYet("trigger"),
    next: (_ctx: CliContext, _opts: { count: string }): Promise<number> => notYet("next"),
    check: (_ctx: CliContext): Promise<number> => notYet("check"),
    sim: (
      _ctx: CliContext,
      _opts: { files: string; seedDir?: string; port?: string },
    ): Promise<number> => notYet("sim"),
    demo: (_ctx: CliContext, _opts: { dir: string }): Promise<number> => notYet("demo"),
    schedulePrint: (_ctx: CliContext, _opts: Record<string, unknown>): Promise<number> =>
      notYet("schedule print"),
  };
}
