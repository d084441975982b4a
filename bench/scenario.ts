/**
 * What every benchmark scenario shares: its sizes (full or `--quick`), repetition, scratch
 * folders, and the simulator seeded for it.
 * @module
 */
import type { SimFileSpec } from "../src/sim/types.ts";
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

const scratch = { root: undefined as string | undefined, dirs: [] as string[] };

/** Where scratch folders are made (default: the system temp folder). */
export function setScratchRoot(root: string | undefined): void {
  scratch.root = root;
}

/**
 * A new scratch folder, removed by {@link removeScratch} at the end of the benchmark. Deleting
 * thousands of files between measurements slows the next file creations on ext4 (inode
 * allocation skips recently deleted inodes), which would penalise whichever run came next.
 */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix, ...(scratch.root ? { dir: scratch.root } : {}) });
  scratch.dirs.push(dir);
  return dir;
}

/** Removes every scratch folder. */
export async function removeScratch(): Promise<void> {
  for (const dir of scratch.dirs.splice(0)) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** A scratch folder handed to `action`. */
export async function withTempDir<T>(prefix: string, action: (dir: string) => Promise<T>) {
  return await action(await scratchDir(prefix));
}

/** `name_000123.csv` style names that sort in creation order. */
export function fileName(prefix: string, index: number, width = 6): string {
  return `${prefix}_${String(index).padStart(width, "0")}.csv`;
}

/** `count` files of `size` bytes in the bench library, modified in the last hour, oldest last. */
export function smallFileSpecs(count: number, size: number, now: number): SimFileSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `${LIBRARY_PATH}/${fileName("small", i)}`,
    size,
    lastModified: new Date(now - MINUTE - (i % 50) * MINUTE),
  }));
}
