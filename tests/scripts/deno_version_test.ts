/**
 * The Deno version is pinned once, in `.deno-version`. The README's first commands, `.ci/run` and
 * the workflows must agree with it, and `.ci/run` must run the README's test command.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** The files that name the Deno version, by path relative to the repository root. */
type Sources = Record<string, string>;

const SEMVER = /^\d+\.\d+\.\d+$/;

/** The commands of the README's first ```sh block, comments and blank lines dropped. */
export function readmeFirstCommands(readme: string): string[] {
  const block = /```sh\r?\n([\s\S]*?)```/.exec(readme);
  if (!block) return [];
  return block[1]!.split(/\r?\n/).map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "");
}

/** The name of the shell/env variable a file assigns from `.deno-version`, if any. */
function versionVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/\b(\w+)="?\$\([^)\n]*\.deno-version[^)\n]*\)/g)) names.add(m[1]!);
  return names;
}

/** Every `deno@X` and `Deno X.Y.Z` in `text` that is not `version` or a variable read from the pin. */
function driftIn(path: string, text: string, version: string): string[] {
  const problems: string[] = [];
  const variables = versionVariables(text);
  for (const m of text.matchAll(/\bdeno@([^\s"'`)\]]+)/g)) {
    const ref = m[1]!;
    const variable = /^\$\{?(\w+)\}?$/.exec(ref)?.[1];
    if (variable !== undefined ? variables.has(variable) : ref === version) continue;
    problems.push(`${path}: deno@${ref} (pinned: ${version})`);
  }
  for (const m of text.matchAll(/\bDeno (\d+\.\d+\.\d+)\b/g)) {
    if (m[1] !== version) problems.push(`${path}: Deno ${m[1]} (pinned: ${version})`);
  }
  return problems;
}

/**
 * The command `.ci/run` runs for the tests, with its `deno=(…)` array and the variable read from
 * `.deno-version` expanded, e.g. "npx -y deno@2.9.6 task test"; undefined when it has none.
 */
export function ciTestCommand(script: string, version: string): string | undefined {
  const array = /^deno=\((.*)\)\s*$/m.exec(script)?.[1]?.split(/\s+/) ?? [];
  const line = script.split(/\r?\n/).find((l) => /\btask test\b/.test(l) && !/^\s*#/.test(l));
  if (!line) return undefined;
  const variables = versionVariables(script);
  const words = line.split(/\s+(?:2>&1|\||>)/)[0]!.trim().split(/\s+/)
    .flatMap((word) => word === '"${deno[@]}"' ? array : [word])
    .map((word) =>
      word.replaceAll('"', "").replace(
        /\$\{?(\w+)\}?/g,
        (all, name: string) => variables.has(name) ? version : all,
      )
    );
  return words.join(" ");
}

/** Every disagreement between the pin and `sources`; empty when they agree. */
export function versionDrift(pin: string, sources: Sources): string[] {
  const version = pin.trim();
  if (!SEMVER.test(version)) return [`.deno-version: "${version}" is not a version like 2.9.6`];
  const problems = Object.entries(sources).flatMap(([path, text]) => driftIn(path, text, version));
  const readme = sources["README.md"] ?? "";
  const expected = [`npx -y deno@${version} task demo`, `npx -y deno@${version} task test`];
  const first = readmeFirstCommands(readme);
  if (JSON.stringify(first) !== JSON.stringify(expected)) {
    problems.push(`README.md: first commands are ${JSON.stringify(first)}, want ${expected}`);
  }
  if (/npm (install|i) (-g|--global) deno\b/.test(readme)) {
    problems.push("README.md: still asks for a global npm install of Deno");
  }
  const ci = ciTestCommand(sources[".ci/run"] ?? "", version);
  if (ci !== expected[1]) {
    problems.push(`.ci/run: runs ${JSON.stringify(ci)} for the tests, want "${expected[1]}"`);
  }
  return problems;
}

async function repositorySources(): Promise<Sources> {
  const paths = ["README.md", ".ci/run"];
  for (const folder of ["docs", ".github/workflows"]) {
    for (const entry of Deno.readDirSync(new URL(folder, ROOT))) {
      if (entry.isFile) paths.push(`${folder}/${entry.name}`);
    }
  }
  const sources: Sources = {};
  for (const path of paths) sources[path] = await Deno.readTextFile(new URL(path, ROOT));
  return sources;
}

Deno.test("README, .ci/run and the workflows agree with .deno-version", async () => {
  const pin = await Deno.readTextFile(new URL(".deno-version", ROOT));
  const sources = await repositorySources();
  assert.ok(Object.keys(sources).some((p) => p.endsWith("release.yml")), "release workflow read");
  assert.deepEqual(versionDrift(pin, sources), []);
});

const README_OK = "# x\n\n```sh\nnpx -y deno@2.9.6 task demo  # demo\n" +
  "npx -y deno@2.9.6 task test\n```\n\nWith Deno 2.9.6 installed: `deno task demo`.\n";
const CI_OK = 'version="$(tr -d \' \\t\\r\\n\' < .deno-version)"\ndeno=(npx -y "deno@$version")\n' +
  '"${deno[@]}" install --frozen\n"${deno[@]}" task test 2>&1 | tee "$log"\n';
const WORKFLOW_OK = 'run: echo "DENO_VERSION=$(cat .deno-version)" >> "$GITHUB_ENV"\n' +
  'run: npx -y "deno@$DENO_VERSION" task compile --all\n';
const OK: Sources = { "README.md": README_OK, ".ci/run": CI_OK, "release.yml": WORKFLOW_OK };

Deno.test("versionDrift accepts sources that agree", () => {
  assert.deepEqual(versionDrift("2.9.6\n", OK), []);
  assert.equal(ciTestCommand(CI_OK, "2.9.6"), "npx -y deno@2.9.6 task test");
});

Deno.test("versionDrift names each file that disagrees with the pin", () => {
  const cases: { name: string; pin?: string; change: Sources; want: RegExp }[] = [
    {
      name: "new pin",
      pin: "2.9.7",
      change: {},
      want: /README\.md: deno@2\.9\.6 \(pinned: 2\.9\.7\)/,
    },
    { name: "bad pin", pin: "latest", change: {}, want: /\.deno-version: "latest"/ },
    {
      name: "README prose",
      change: { "README.md": README_OK.replace("With Deno 2.9.6", "With Deno 2.9.5") },
      want: /README\.md: Deno 2\.9\.5/,
    },
    {
      name: "README global install",
      change: { "README.md": README_OK + "\nFirst `npm install -g deno@2.9.6`.\n" },
      want: /global npm install/,
    },
    {
      name: "README third command",
      change: { "README.md": README_OK.replace("```\n\n", "deno task ok\n```\n\n") },
      want: /README\.md: first commands/,
    },
    {
      name: "ci literal version",
      change: { ".ci/run": CI_OK.replace("deno@$version", "deno@2.9.5") },
      want: /\.ci\/run: deno@2\.9\.5/,
    },
    {
      name: "ci other test command",
      change: { ".ci/run": CI_OK.replace("task test", "test -A") },
      want: /\.ci\/run: runs undefined/,
    },
    {
      name: "ci without the array",
      change: { ".ci/run": CI_OK.replace('"${deno[@]}" task test', "deno task test") },
      want: /\.ci\/run: runs "deno task test"/,
    },
    {
      name: "workflow literal",
      change: { "release.yml": "run: npm install -g deno@2.9.5\n" },
      want: /release\.yml: deno@2\.9\.5/,
    },
    {
      name: "workflow variable not read from the pin",
      change: { "release.yml": WORKFLOW_OK.replace("DENO_VERSION=", "OTHER=") },
      want: /release\.yml: deno@\$DENO_VERSION/,
    },
  ];
  for (const c of cases) {
    const problems = versionDrift(c.pin ?? "2.9.6", { ...OK, ...c.change });
    assert.ok(problems.some((p) => c.want.test(p)), `${c.name}: ${JSON.stringify(problems)}`);
  }
});
