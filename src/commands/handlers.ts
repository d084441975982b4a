/**
 * The command implementations behind `src/cli.ts`, by command.
 * @module
 */
import { ExitCode, IngestError } from "../errors.ts";
import type { CliContext } from "./context.ts";
import { nextCommand } from "./next_cmd.ts";
import { runCommand, runOnceCommand, triggerCommand } from "./run_cmds.ts";
import { schedulePrintCommand } from "./schedule_print_cmd.ts";
import { demoCommand } from "./demo_cmd.ts";
import { simCommand } from "./sim_cmd.ts";

export type { WindowFlags } from "./run_cmds.ts";

function notYet(name: string): never {
  throw new IngestError(`Cannot run "${name}": not implemented in this build`, {
    exitCode: ExitCode.Failed,
  });
}

/** Every command handler, by command. */
export function commandHandlers() {
  return {
    run: runCommand,
    runOnce: runOnceCommand,
    trigger: triggerCommand,
    next: nextCommand,
    check: (_ctx: CliContext): Promise<number> => notYet("check"),
    sim: simCommand,
    demo: demoCommand,
    schedulePrint: schedulePrintCommand,
  };
}
