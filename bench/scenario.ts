/**
 * What every benchmark scenario shares: its sizes (full or `--quick`), repetition, scratch
 * folders, and the simulator seeded for it.
 * @module
 */
import type { Row } from "./report.ts";

/** Options every scenario receives. */
export interface BenchContext {
  /** Smaller sizes for a smoke run. */
  quick: boolean;
  /** Measured repetitions of short scenarios (median reported). */
  runs: number;
  /** Progress lines on stderr. */
  log: (line: string) => void;
}

/** A named scenario producing one or more table rows. */
export interface Scenario {
  name: string;
  description: string;
  run(context: BenchContext): Promise<Row[]>;
}

/** The `sharepoint_folder` every scenario uses. */
export const FOLDER = "/Shared Documents/Bench";
/** The same folder inside the library, as simulator file paths name it. */
export const LIBRARY_PATH = "Bench";

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** Creates a temporary folder, hands it to `action`, then removes it. */
export async function withTempDir<T>(prefix: string, action: (dir: string) => Promise<T>) {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await action(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** `name_000123.csv` style names that sort in creation order. */
export function fileName(prefix: string, index: number, width = 6): string {
  return `${prefix}_${String(index).padStart(width, "0")}.csv`;
}
