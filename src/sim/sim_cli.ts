/**
 * What `ingest sim` and `ingest demo` need: seed files (a realistic demo set, N generated files,
 * or a folder of real files) and a running simulator announced with its URLs and a ready
 * `[scheduler]` settings snippet.
 * @module
 */
import { startSimulator } from "./simulator.ts";
import { SIM_QUIRKS, unknownQuirks, withQuirks } from "./sim_quirks.ts";
import { createTestCa, issueServerCertificate } from "./tls_certificates.ts";
import { splitPath } from "./names.ts";
import type { SimFileSpec, SimOptions, Simulator } from "./types.ts";

/** The folder the demo and `ingest sim` seed, as `sharepoint_folder` names it. */
export const DEFAULT_SIM_FOLDER = "/Shared Documents/Reports";

const MINUTE = 60_000;

/** Options of {@link runSimulatorCli}. */
export interface SimulatorCliOptions {
  /** Seed from the files under this folder (recursively; modification times kept). */
  seedDir?: string;
  /** Seed this many generated files instead. */
  files?: number;
  /** Size of each generated file, bytes (default 64 KiB). */
  fileSize?: number;
  /** `sharepoint_folder`: library URL segment then the folder, default {@link DEFAULT_SIM_FOLDER}. */
  folder?: string;
  /** `ingestion_dir` printed in the snippet. */
  ingestionDir?: string;
  /** Any other simulator option (ports, credentials, faults seed, clock). */
  simulator?: SimOptions;
  /**
   * Serve HTTPS with a CA generated for this run, written to this PEM file (the snippet's
   * `ca_file`); the caller removes it when the simulator stops.
   */
  tlsCaFile?: string;
  /** Hostile behaviours to switch on, by name (see `sim_quirks.ts`); unknown names throw. */
  quirks?: string[];
  /**
   * A folder for the secretless flows: the federated token file (workload identity) and the
   * Azure Arc agent's Tokens folder are made in it, and their environment lines are printed;
   * the caller removes it when the simulator stops.
   */
  identityDir?: string;
}

/** Splits `sharepoint_folder` into the library URL segment and the path inside the library. */
export function splitFolder(folder: string): { library: string; path: string } {
  const [library, ...rest] = splitPath(folder);
  if (library === undefined) {
    throw new RangeError(`Cannot use folder "${folder}": it names no library`);
  }
  return { library, path: rest.join("/") };
}

function csv(lines: string[]): Uint8Array {
  return new TextEncoder().encode(`${lines.join("\r\n")}\r\n`);
}

/**
 * About eight realistic files in "Shared Documents/Reports" relative to `now`: CSV, XLSX and
 * PDF names (one with `#`, one with non-ASCII), one file in a sub-folder (never downloaded:
 * sub-folders are not descended) and one file older than a two-hour window.
 */
export function defaultDemoFiles(now: Date): SimFileSpec[] {
  const t = now.getTime();
  const ago = (minutes: number) => new Date(t - minutes * MINUTE);
  const day = now.toISOString().slice(0, 10);
  const library = "Shared Documents";
  return [
    {
      library,
      path: `Reports/sales_${day}.csv`,
      content: csv([
        "region,product,units,revenue",
        "EMEA,Widget,120,2400.00",
        "AMER,Widget,95,1900.00",
        "APAC,Gadget,40,1480.00",
      ]),
      lastModified: ago(25),
    },
    {
      library,
      path: "Reports/inventory_snapshot.csv",
      content: csv(["sku,warehouse,on_hand", "W-100,Rotterdam,812", "G-220,Dallas,96"]),
      lastModified: ago(50),
    },
    {
      library,
      path: "Reports/customers (EU).csv",
      content: csv(["id,name,country", "1001,Müller GmbH,DE", "1002,Société Générale,FR"]),
      lastModified: ago(70),
    },
    { library, path: "Reports/Q4 forecast.xlsx", size: 48 * 1024, lastModified: ago(40) },
    { library, path: "Reports/Board deck #12.pdf", size: 300 * 1024, lastModified: ago(15) },
    { library, path: "Reports/Übersicht_Kosten.xlsx", size: 22 * 1024, lastModified: ago(95) },
    {
      library,
      path: "Reports/Archive/sales_2025-12-31.csv",
      content: csv(["region,product,units,revenue", "EMEA,Widget,1,20.00"]),
      lastModified: ago(10),
    },
    {
      library,
      path: "Reports/legacy_report_2019.csv",
      content: csv(["year,total", "2019,123456"]),
      lastModified: ago(6 * 24 * 60),
    },
  ];
}

/** `count` generated files in `folder`, modified over the last two hours, about `size` bytes each. */
export function generatedFiles(
  count: number,
  options: { folder?: string; size?: number; now: Date },
): SimFileSpec[] {
  const { library, path } = splitFolder(options.folder ?? DEFAULT_SIM_FOLDER);
  const size = options.size ?? 64 * 1024;
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => ({
    library,
    path: `${path}/report_${String(i + 1).padStart(width, "0")}.csv`,
    size: Math.max(0, size + ((i * 7919) % 1024) - 512),
    lastModified: new Date(options.now.getTime() - ((i * 37) % 120) * MINUTE),
  }));
}

/** Specs for every file under `dir` (recursively), placed under `folder`, served from disk. */
export async function filesFromDirectory(
  dir: string,
  folder = DEFAULT_SIM_FOLDER,
): Promise<SimFileSpec[]> {
  const { library, path } = splitFolder(folder);
  const specs: SimFileSpec[] = [];
  const walk = async (absolute: string, relative: string[]) => {
    for await (const entry of Deno.readDir(absolute)) {
      const child = `${absolute}/${entry.name}`;
      if (entry.isDirectory) await walk(child, [...relative, entry.name]);
      if (!entry.isFile) continue;
      const stat = await Deno.stat(child);
      specs.push({
        library,
        path: [path, ...relative, entry.name].filter((s) => s !== "").join("/"),
        sourcePath: child,
        ...(stat.mtime ? { lastModified: stat.mtime } : {}),
        ...(stat.birthtime ? { created: stat.birthtime } : {}),
      });
    }
  };
  await walk(dir, []);
  return specs.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Starts a simulator seeded from `options` (a folder of real files, N generated files, or the
 * demo set), writes its URLs and a `[scheduler]` snippet through `write`, and returns it running;
 * the caller closes it (e.g. on Ctrl+C).
 */
export async function runSimulatorCli(
  options: SimulatorCliOptions,
  write: (line: string) => void,
): Promise<Simulator> {
  const folder = options.folder ?? DEFAULT_SIM_FOLDER;
  const now = new Date((options.simulator?.now ?? Date.now)());
  const files = options.seedDir !== undefined
    ? await filesFromDirectory(options.seedDir, folder)
    : options.files !== undefined
    ? generatedFiles(options.files, {
      folder,
      now,
      ...(options.fileSize === undefined ? {} : { size: options.fileSize }),
    })
    : defaultDemoFiles(now);
  let tls: SimOptions["tls"];
  if (options.tlsCaFile !== undefined) {
    const ca = await createTestCa();
    tls = await issueServerCertificate(ca, {
      names: ["localhost", "127.0.0.1", options.simulator?.downloadHost ?? "localhost"],
    });
    await Deno.writeTextFile(options.tlsCaFile, ca.certificatePem);
  }
  const quirks = options.quirks ?? [];
  const unknown = unknownQuirks(quirks);
  if (unknown.length > 0) {
    throw new RangeError(
      `Cannot use quirk "${unknown[0]}": expected one of ${Object.keys(SIM_QUIRKS).join(", ")}`,
    );
  }
  const arcTokensDir = options.identityDir === undefined
    ? undefined
    : `${options.identityDir}/arc-tokens`;
  if (arcTokensDir !== undefined) await Deno.mkdir(arcTokensDir, { recursive: true });
  const sim = await startSimulator(withQuirks(quirks, {
    ...options.simulator,
    ...(tls ? { tls } : {}),
    ...(arcTokensDir !== undefined
      ? { managedIdentity: { ...options.simulator?.managedIdentity, arcTokensDir } }
      : {}),
    files: [...(options.simulator?.files ?? []), ...files],
  }, splitFolder(folder)));
  for (const name of quirks) SIM_QUIRKS[name]!.after?.(sim);
  const settings = {
    folder,
    ...(options.ingestionDir === undefined ? {} : { ingestionDir: options.ingestionDir }),
  };
  // Everything slow happens before the first line: callers wait for the snippet's last line.
  const identity = options.identityDir === undefined
    ? undefined
    : await identityFiles(sim, options.identityDir, arcTokensDir!);
  write("Microsoft Graph simulator is running (Ctrl+C to stop)");
  write(`  authority_host   ${sim.authorityHost}`);
  write(`  graph_base_url   ${sim.graphBaseUrl}`);
  write(`  download origin  ${sim.downloadOrigin}`);
  write(`  db_service_url   ${sim.dbServiceUrl}`);
  write(`  site             ${sim.siteUrl}`);
  write(`  folder           ${folder} (${files.length} files seeded)`);
  for (const name of quirks) write(`  quirk            ${name}: ${SIM_QUIRKS[name]!.description}`);
  if (options.tlsCaFile !== undefined) {
    write(`  TLS              HTTPS with a CA made for this run: ${options.tlsCaFile}`);
  }
  if (identity) writeIdentityLines(sim, identity, write);
  write("");
  write("Settings snippet:");
  for (const line of sim.settingsSnippet(settings).trimEnd().split("\n")) write(line);
  if (options.tlsCaFile !== undefined) write(`ca_file = ${JSON.stringify(options.tlsCaFile)}`);
  return sim;
}

/** A service account token valid for a day (the longest the webhook allows), and the Arc folder. */
async function identityFiles(
  sim: Simulator,
  dir: string,
  arcTokensDir: string,
): Promise<{ tokenFile: string; arcTokensDir: string }> {
  const tokenFile = `${dir}/azure-identity-token`;
  await Deno.writeTextFile(
    tokenFile,
    await sim.issueServiceAccountToken({ lifetimeSeconds: 86_400 }),
  );
  return { tokenFile, arcTokensDir };
}

/** The environment of each secretless flow against `sim`. */
function writeIdentityLines(
  sim: Simulator,
  files: { tokenFile: string; arcTokensDir: string },
  write: (line: string) => void,
): void {
  const { tokenFile, arcTokensDir } = files;
  const origin = sim.identityOrigin;
  write("");
  write(
    'Secretless sign-in: set auth = "workload_identity" or "managed_identity", drop client_secret ' +
      "(and, for a managed identity, client_id and tenant_id), and set one of:",
  );
  write(
    `  workload identity  AZURE_CLIENT_ID=${sim.clientId} AZURE_TENANT_ID=${sim.tenantId} ` +
      `AZURE_AUTHORITY_HOST=${sim.authorityHost}/ AZURE_FEDERATED_TOKEN_FILE=${tokenFile}`,
  );
  write(
    `  App Service        IDENTITY_ENDPOINT=${origin}/msi/token IDENTITY_HEADER=${sim.identityHeader}`,
  );
  write(
    `  Azure Arc          IDENTITY_ENDPOINT=${origin}/arc/metadata/identity/oauth2/token ` +
      `IMDS_ENDPOINT=${origin} INGEST_TEST_ARC_TOKENS_DIR=${arcTokensDir}`,
  );
  write(`  Azure VM IMDS      INGEST_TEST_IMDS_ENDPOINT=${origin}`);
}
