/**
 * A simulator plus a temp folder holding a settings file that points at it.
 */
import { join } from "node:path";
import { DEFAULT_SIM_FOLDER, defaultDemoFiles } from "../../src/sim/sim_cli.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { SimOptions, Simulator } from "../../src/sim/types.ts";

/** A running simulator and a workspace whose `settings.toml` points at it. */
export interface SimWorkspace extends AsyncDisposable {
  sim: Simulator;
  dir: string;
  settingsPath: string;
  incoming: string;
  /** Rewrites `settings.toml` with extra lines appended (later keys must not repeat earlier ones). */
  writeSettings(extra?: string, transform?: (snippet: string) => string): Promise<void>;
  /** Names in the ingestion folder. */
  incomingNames(): string[];
}

/** Starts a simulator (demo files by default) and writes `settings.toml` for it. */
export async function simWorkspace(options: SimOptions = {}, extra = ""): Promise<SimWorkspace> {
  const sim = await startSimulator({ files: defaultDemoFiles(new Date()), ...options });
  const dir = await Deno.makeTempDir({ prefix: "ingest-ws-" });
  const settingsPath = join(dir, "settings.toml");
  const incoming = join(dir, "incoming");
  const writeSettings = async (more = "", transform = (s: string) => s) => {
    const snippet = transform(
      sim.settingsSnippet({ folder: DEFAULT_SIM_FOLDER, ingestionDir: "incoming" }),
    );
    await Deno.writeTextFile(
      settingsPath,
      `${snippet.trimEnd()}\nretry_delay_seconds = 0.01\n${more}\n`,
    );
  };
  await writeSettings(extra);
  return {
    sim,
    dir,
    settingsPath,
    incoming,
    writeSettings,
    incomingNames: () => {
      try {
        return [...Deno.readDirSync(incoming)].map((e) => e.name).sort();
      } catch {
        return [];
      }
    },
    async [Symbol.asyncDispose]() {
      await sim.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
