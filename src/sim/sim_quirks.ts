/**
 * Named switches of `ingest sim --quirk`: each turns on one hostile behaviour reported against
 * real SharePoint (real-sharepoint-quirks.md §3, §4, §10–§13), so an operator can watch what
 * `ingest` does about it before meeting it on a tenant.
 * @module
 */
import type { SimFileSpec, SimOptions, Simulator } from "./types.ts";

/** One switch: what it does, the options it sets before start, and what it adds after. */
export interface SimQuirk {
  description: string;
  /** Options merged into the simulator's before it starts. */
  options?: (library: string, path: string) => Partial<SimOptions>;
  /** Files added to the seeded ones. */
  files?: (library: string, path: string) => SimFileSpec[];
  /** Faults and switches set once the simulator runs. */
  after?: (sim: Simulator) => void;
}

const MINUTE = 60_000;
const recent = () => new Date(Date.now() - 10 * MINUTE);
const HTML_PAGE_FILE = "quarterly report (error page).pdf";

/** Every switch by name. */
export const SIM_QUIRKS: Record<string, SimQuirk> = {
  "malformed-item": {
    description: "two files whose listings lack size or name (skipped with a warning)",
    files: (library, path) =>
      (["size", "name"] as const).map((omit) => ({
        library,
        path: join(path, `no-${omit}.csv`),
        size: 64,
        quirks: { omit },
        lastModified: recent(),
      })),
  },
  "looping-delta": {
    description: "delta answers the same page forever behind fresh nextLinks",
    options: () => ({ deltaQuirks: { loop: "fresh-link" } }),
  },
  "repeated-next-link": {
    description: "delta answers the same page forever behind the same nextLink",
    options: () => ({ deltaQuirks: { loop: "same-link" } }),
  },
  "looping-children": {
    description: "children answers the same page forever behind fresh nextLinks",
    options: () => ({ deltaQuirks: { childrenLoop: "fresh-link" } }),
  },
  "folder-410": {
    description: "folder-scoped delta always answers 410 (root delta works)",
    options: () => ({ deltaQuirks: { folderResync: true } }),
  },
  "root-410": {
    description: "root delta always answers 410 too (use with folder-410)",
    options: () => ({ deltaQuirks: { rootResync: true } }),
  },
  "broken-location": {
    description: "the Location of a 410 answers 500",
    options: () => ({ deltaQuirks: { brokenLocation: true } }),
  },
  chunked: {
    description: "download bodies without Content-Length (chunked)",
    options: () => ({ downloadBodies: { chunked: true } }),
  },
  gzip: {
    description: "download bodies gzip-compressed despite Accept-Encoding: identity",
    options: () => ({ downloadBodies: { gzip: true } }),
  },
  "html-page": {
    description: `"${HTML_PAGE_FILE}" is served as a 200 HTML error page`,
    files: (library, path) => [{
      library,
      path: join(path, HTML_PAGE_FILE),
      size: 9_000,
      rewrite: {},
      lastModified: recent(),
    }],
    after: (sim) =>
      sim.addFault({
        match: { server: "download", file: HTML_PAGE_FILE },
        fault: {
          kind: "status",
          status: 200,
          contentType: "text/html; charset=utf-8",
          body: "<!DOCTYPE html><html><head><title>Error</title></head>" +
            "<body>Sorry, something went wrong.</body></html>",
        },
        times: Infinity,
      }),
  },
  malware: {
    description: "a file flagged by Defender (403 malwareDetected, X-Virus-Infected, facet)",
    files: (library, path) => [{
      library,
      path: join(path, "invoice (flagged).pdf"),
      size: 65,
      quirks: { malware: {} },
      lastModified: recent(),
    }],
  },
};

function join(path: string, name: string): string {
  return path === "" ? name : `${path}/${name}`;
}

/** The names of unknown switches in `names`. */
export function unknownQuirks(names: readonly string[]): string[] {
  return names.filter((name) => !Object.hasOwn(SIM_QUIRKS, name));
}

/** Simulator options with the switches `names` applied (later ones add to earlier ones). */
export function withQuirks(
  names: readonly string[],
  base: SimOptions,
  folder: { library: string; path: string },
): SimOptions {
  const options: SimOptions = { ...base };
  for (const name of names) {
    const quirk = SIM_QUIRKS[name]!;
    const more = quirk.options?.(folder.library, folder.path) ?? {};
    options.deltaQuirks = { ...options.deltaQuirks, ...more.deltaQuirks };
    options.downloadBodies = { ...options.downloadBodies, ...more.downloadBodies };
    options.files = [...options.files ?? [], ...quirk.files?.(folder.library, folder.path) ?? []];
  }
  return options;
}
