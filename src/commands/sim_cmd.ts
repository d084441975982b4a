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

/**
 * Ports fetch refuses to connect to (the Fetch standard's "bad ports", which Deno enforces):
 * a simulator there would print settings the client cannot use.
 */
// deno-fmt-ignore
const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465,
  512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993,
  995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668,
  6669, 6679, 6697, 10080,
]);

/** The first of the four ports `--port` asks for: 1024..65532, none of them a fetch bad port. */
function firstPort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1024 || port > 65_532) {
    throw new UsageError(
      `Cannot use --port "${text}": expected a whole number from 1024 to 65532 (the first of ` +
        "four consecutive ports; leave it out for free ports)",
    );
  }
  const bad = [port, port + 1, port + 2, port + 3].find((p) => FETCH_BAD_PORTS.has(p));
  if (bad !== undefined) {
    throw new UsageError(
      `Cannot use --port "${text}": port ${bad} is one fetch refuses to connect to (a "bad ` +
        'port" of the Fetch standard); pick another range',
    );
  }
  return port;
}

/** Starts the simulator, prints its URLs and a settings snippet, serves until a signal. */
export async function simCommand(ctx: CliContext, flags: SimFlags): Promise<number> {
  const files = flags.files === undefined
    ? undefined
    : wholeNumber("--files", flags.files, 1_000_000);
  const port = flags.port === undefined ? undefined : firstPort(flags.port);
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
