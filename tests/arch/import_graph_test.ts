/**
 * The module graph of `src/` has no import cycles, and lower layers never import upper ones. The
 * graph comes from `deno info --json` on `main.ts` plus every module under `src/` (so modules that
 * `main.ts` reaches only through dynamic imports, or not at all, are covered too).
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { fileURLToPath as fromFileUrl, pathToFileURL } from "node:url";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** Module → the modules it imports (statically, dynamically or as types), by repository path. */
export type ImportGraph = Map<string, string[]>;

/** The strongly connected components with more than one module, or a module importing itself. */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) {
      cycles.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Imports from `from` into a folder that `rules` forbids for it, as "a → b" lines. */
export function layerViolations(
  graph: ImportGraph,
  rules: { from: string; never: string[] }[],
): string[] {
  const out: string[] = [];
  for (const [module, targets] of graph) {
    for (const rule of rules) {
      if (!module.startsWith(rule.from)) continue;
      for (const target of targets) {
        if (rule.never.some((folder) => target.startsWith(folder))) {
          out.push(`${module} → ${target}`);
        }
      }
    }
  }
  return out.sort();
}

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The project's module graph under `src/` (and `main.ts`), by repository path. */
async function projectGraph(): Promise<ImportGraph> {
  const tmp = await Deno.makeTempDir({ prefix: "ingest-graph-" });
  try {
    const entry = join(tmp, "all.ts");
    const modules = ["main.ts", ...await sourceFiles("src")];
    const lines = modules.map((m) =>
      `import ${JSON.stringify(pathToFileURL(join(ROOT, m)).href)};`
    );
    await Deno.writeTextFile(entry, lines.join("\n") + "\n");
    const output = await new Deno.Command(Deno.execPath(), {
      // A file URL: on Windows deno reads a "c:\\…" path as a URL whose scheme is "c".
      args: ["info", "--json", "--config", join(ROOT, "deno.json"), pathToFileURL(entry).href],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as { modules: InfoModule[] };
    const local = (specifier: string | undefined): string | undefined => {
      if (!specifier?.startsWith("file:")) return undefined;
      const path = relative(ROOT, fromFileUrl(specifier)).replaceAll("\\", "/");
      return path.startsWith("..") ? undefined : path;
    };
    const graph: ImportGraph = new Map();
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (!from) continue;
      const targets = (module.dependencies ?? []).flatMap((d) =>
        [local(d.code?.specifier), local(d.type?.specifier)].filter((t) => t !== undefined)
      );
      graph.set(from, [...new Set(targets)]);
    }
    return graph;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("importCycles finds cycles of every length and nothing else", () => {
  const cases: [string, [string, string[]][], string[][]][] = [
    ["no edges", [["a", []]], []],
    ["a chain", [["a", ["b"]], ["b", ["c"]], ["c", []]], []],
    ["a diamond", [["a", ["b", "c"]], ["b", ["d"]], ["c", ["d"]], ["d", []]], []],
    ["self import", [["a", ["a"]]], [["a"]]],
    ["two modules", [["a", ["b"]], ["b", ["a"]]], [["a", "b"]]],
    ["three, with a tail", [["x", ["a"]], ["a", ["b"]], ["b", ["c"]], ["c", ["a"]]], [[
      "a",
      "b",
      "c",
    ]]],
    ["two separate", [["a", ["b"]], ["b", ["a"]], ["c", ["d"]], ["d", ["c"]]], [["a", "b"], [
      "c",
      "d",
    ]]],
  ];
  for (const [name, edges, expected] of cases) {
    assert.deepEqual(importCycles(new Map(edges)), expected, name);
  }
});

Deno.test("layerViolations names each forbidden import", () => {
  const graph: ImportGraph = new Map([
    ["src/http/a.ts", ["src/graph/x.ts", "src/errors.ts"]],
    ["src/graph/x.ts", ["src/http/a.ts"]],
  ]);
  assert.deepEqual(
    layerViolations(graph, [{ from: "src/http/", never: ["src/graph/", "src/db/"] }]),
    ["src/http/a.ts → src/graph/x.ts"],
  );
  assert.deepEqual(layerViolations(graph, [{ from: "src/db/", never: ["src/graph/"] }]), []);
});

Deno.test("src/ has no import cycles", async () => {
  const graph = await projectGraph();
  assert.ok(graph.size > 50, `expected the whole of src/, got ${graph.size} modules`);
  const cycles = importCycles(graph);
  assert.deepEqual(cycles, [], cycles.map((c) => `cycle: ${c.join(" ↔ ")}`).join("\n"));
});

Deno.test("lower layers import no upper ones: the transport knows neither Graph nor the DB service, config not the scheduler", async () => {
  const graph = await projectGraph();
  const violations = layerViolations(graph, [
    { from: "src/http/", never: ["src/graph/", "src/db/"] },
    // The settings choose the schedule; the scheduler's maths read the choice, not the reverse.
    { from: "src/config/", never: ["src/schedule/", "src/scheduler.ts"] },
  ]);
  assert.deepEqual(violations, [], violations.join("\n"));
});
