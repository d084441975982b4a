/**
 * The command implementations behind `src/cli.ts`, by command.
 * @module
 */
import { checkCommand } from "./check_cmd.ts";
import { nextCommand } from "./next_cmd.ts";
import { runCommand, runOnceCommand, triggerCommand } from "./run_cmds.ts";
import { schedulePrintCommand } from "./schedule_print_cmd.ts";
import { demoCommand } from "./demo_cmd.ts";
import { simCommand } from "./sim_cmd.ts";

export type { WindowFlags } from "./run_cmds.ts";

/** Every command handler, by command. */
export function commandHandlers() {
  return {
    run: runCommand,
    runOnce: runOnceCommand,
    trigger: triggerCommand,
    next: nextCommand,
    check: checkCommand,
    sim: simCommand,
    demo: demoCommand,
    schedulePrint: schedulePrintCommand,
  };
}
