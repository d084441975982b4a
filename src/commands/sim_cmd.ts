/**
 * `ingest sim`: runs the built-in Microsoft Graph simulator until Ctrl+C/SIGTERM.
 * @module
 */
import { ExitCode, UsageError } from "../errors.ts";
import { ShutdownWatcher } from "../schedule/shutdown.ts";
import { runSimulatorCli } from "../sim/sim_cli.ts";
import { SIM_QUIRKS, unknownQuirks } from "../sim/sim_quirks.ts";
import type { CliContext } from "./context.ts";

/** Flags of `ingest sim`. */
export interface SimFlags {
  files?: string;
  seedDir?: string;
  port?: string;
  tls?: boolean;
  downloadAcceptsAuthorization?: boolean;
  quirk?: string[];
}

function wholeNumber(flag: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new UsageError(`Cannot use ${flag} "${text}": expected a whole number from 0 to ${max}`);
  }
  return value;
}

/** Starts the simulator, prints its URLs and a settings snippet, serves until a signal. */
export async function simCommand(ctx: CliContext, flags: SimFlags): Promise<number> {
  const files = flags.files === undefined
    ? undefined
    : wholeNumber("--files", flags.files, 1_000_000);
  const port = flags.port === undefined ? undefined : wholeNumber("--port", flags.port, 65_535);
  const unknown = unknownQuirks(flags.quirk ?? []);
  if (unknown.length > 0) {
    throw new UsageError(
      `Cannot use --quirk "${unknown[0]}": expected one of ${Object.keys(SIM_QUIRKS).join(", ")}`,
    );
  }
  const caFile = flags.tls
    ? await Deno.makeTempFile({ prefix: "ingest-sim-ca-", suffix: ".pem" })
    : undefined;
  const identityDir = await Deno.makeTempDir({ prefix: "ingest-sim-identity-" });
  const removeCa = async () => {
    if (caFile !== undefined) await Deno.remove(caFile).catch(() => {});
    await Deno.remove(identityDir, { recursive: true }).catch(() => {});
  };
  const sim = await runSimulatorCli(
    {
      ...(caFile !== undefined ? { tlsCaFile: caFile } : {}),
      ...(flags.seedDir !== undefined ? { seedDir: flags.seedDir } : {}),
      ...(files !== undefined ? { files } : {}),
      ingestionDir: "./incoming",
      ...(flags.quirk !== undefined ? { quirks: flags.quirk } : {}),
      identityDir,
      simulator: {
        ...(port === undefined ? {} : {
          ports: { graph: port, login: port + 1, download: port + 2, db: port + 3 },
          identityPort: port + 4,
        }),
        ...(flags.downloadAcceptsAuthorization ? { downloadAcceptsAuthorization: true } : {}),
      },
    },
    (line) => ctx.print(line),
  ).catch(async (error) => {
    await removeCa();
    throw error;
  });
  try {
    using watcher = new ShutdownWatcher({ api: ctx.deps.signals });
    await watcher.first;
  } finally {
    await sim.close();
    await removeCa();
  }
  ctx.print("Simulator stopped");
  return ExitCode.Ok;
}
