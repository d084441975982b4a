/**
 * The command implementations behind `src/cli.ts`, loaded on demand: each command imports only
 * its own modules, so `ingest run-once` does not load the simulator and `ingest sim` does not
 * load the Graph client.
 * @module
 */
import type { CliContext } from "./context.ts";
import type { JobFlags } from "./flags.ts";
import type { WindowFlags } from "./run_cmds.ts";
import type { SchedulePrintFlags } from "./schedule_print_cmd.ts";
import type { SimFlags } from "./sim_cmd.ts";

export type { WindowFlags } from "./run_cmds.ts";

/** Every command handler, by command. */
export function commandHandlers() {
  return {
    run: async (ctx: CliContext, flags: JobFlags) =>
      (await import("./run_cmds.ts")).runCommand(ctx, flags),
    runOnce: async (ctx: CliContext, flags: WindowFlags) =>
      (await import("./run_cmds.ts")).runOnceCommand(ctx, flags),
    trigger: async (ctx: CliContext, flags: WindowFlags) =>
      (await import("./run_cmds.ts")).triggerCommand(ctx, flags),
    next: async (ctx: CliContext, flags: { count: string } & JobFlags) =>
      (await import("./next_cmd.ts")).nextCommand(ctx, flags),
    check: async (ctx: CliContext, flags: JobFlags) =>
      (await import("./check/check_cmd.ts")).checkCommand(ctx, flags),
    config: async (ctx: CliContext, flags: JobFlags) =>
      (await import("./config_cmd.ts")).configCommand(ctx, flags),
    sim: async (ctx: CliContext, flags: SimFlags) =>
      (await import("./sim_cmd.ts")).simCommand(ctx, flags),
    demo: async (ctx: CliContext, flags: { dir: string }) =>
      (await import("./demo_cmd.ts")).demoCommand(ctx, flags),
    schedulePrint: async (ctx: CliContext, flags: SchedulePrintFlags) =>
      (await import("./schedule_print_cmd.ts")).schedulePrintCommand(ctx, flags),
  };
}
