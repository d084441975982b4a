import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { settingsSchema } from "../../src/config/schema.ts";
import {
  defaultDemoFiles,
  filesFromDirectory,
  generatedFiles,
  runSimulatorCli,
  splitFolder,
} from "../../src/sim/sim_cli.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import { getToken, graphJson } from "./helpers.ts";

const NOW = new Date("2026-06-15T12:00:00Z");

Deno.test("runSimulatorCli() prints the URLs and a snippet that passes the settings schema", async () => {
  const lines: string[] = [];
  await using sim = await runSimulatorCli({
    ingestionDir: "/data/in",
    simulator: { now: () => NOW.getTime() },
  }, (line) => lines.push(line));
  const text = lines.join("\n");
  assert.ok(text.includes(sim.graphBaseUrl));
  assert.ok(text.includes(sim.authorityHost));
  assert.ok(text.includes(sim.dbServiceUrl));
  assert.ok(text.includes(sim.downloadOrigin));
  assert.match(text, /\/Shared Documents\/Reports \(8 files seeded\)/);
  const snippet = text.slice(text.indexOf("[scheduler]"));
  const settings = (parse(snippet) as { scheduler: Record<string, unknown> }).scheduler;
  assert.deepEqual(Object.keys(settings), [
    "graph_base_url",
    "authority_host",
    "tenant_id",
    "client_id",
    "client_secret",
    "sharepoint_site_url",
    "sharepoint_folder",
    "db_service_url",
    "ingestion_dir",
  ]);
  const parsed = settingsSchema.safeParse(settings);
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.equal(settings.sharepoint_folder, "/Shared Documents/Reports");
  assert.equal(settings.ingestion_dir, "/data/in");
  const token = await getToken(sim);
  const site = await graphJson(sim, "/sites/contoso.sharepoint.com:/sites/Finance", token);
  const drive = await graphJson(sim, `/sites/${site.id}/drive`, token);
  const listing = await graphJson(sim, `/drives/${drive.id}/root:/Reports:/children`, token);
  assert.equal(listing.value!.length, 8, "7 files and the Archive folder");
});

Deno.test("runSimulatorCli() seeds N generated files or the files of a folder", async () => {
  const generated: string[] = [];
  await using a = await runSimulatorCli({
    files: 12,
    fileSize: 1000,
    simulator: { now: () => NOW.getTime() },
  }, (l) => generated.push(l));
  assert.ok(generated.some((l) => l.includes("(12 files seeded)")));
  const token = await getToken(a);
  const site = await graphJson(a, "/sites/contoso.sharepoint.com:/sites/Finance", token);
  const drive = await graphJson(a, `/sites/${site.id}/drive`, token);
  const listing = await graphJson(a, `/drives/${drive.id}/root:/Reports:/children`, token);
  assert.equal(listing.value!.length, 12);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/one.csv`, "1\n");
    await Deno.writeTextFile(`${dir}/sub/two.csv`, "2\n");
    const lines: string[] = [];
    await using b = await runSimulatorCli(
      { seedDir: dir, folder: "/Shared Documents/In" },
      (l) => lines.push(l),
    );
    assert.ok(lines.some((l) => l.includes("/Shared Documents/In (2 files seeded)")));
    assert.match(
      b.settingsSnippet({ folder: "/Shared Documents/In" }),
      /sharepoint_folder = "\/Shared Documents\/In"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defaultDemoFiles() makes realistic files in and around a two-hour window", () => {
  const files = defaultDemoFiles(NOW);
  assert.ok(files.length >= 7 && files.length <= 10);
  assert.ok(files.every((f) => f.path.startsWith("Reports/") && f.library === "Shared Documents"));
  const names = files.map((f) => f.path.split("/").at(-1)!);
  for (const ext of [".csv", ".xlsx", ".pdf"]) assert.ok(names.some((n) => n.endsWith(ext)), ext);
  assert.equal(
    files.filter((f) => f.path.split("/").length > 2).length,
    1,
    "one file in a sub-folder",
  );
  const twoHours = 2 * 3600_000;
  const old = files.filter((f) => NOW.getTime() - f.lastModified!.getTime() > twoHours);
  assert.equal(old.length, 1, "one file outside a two-hour window");
});

Deno.test("generatedFiles() and filesFromDirectory() place files under the folder's library", async () => {
  const specs = generatedFiles(3, { folder: "/Docs/A/B", size: 10, now: NOW });
  assert.deepEqual(specs.map((s) => [s.library, s.path]), [["Docs", "A/B/report_1.csv"], [
    "Docs",
    "A/B/report_2.csv",
  ], ["Docs", "A/B/report_3.csv"]]);
  assert.deepEqual(splitFolder("/Shared Documents"), { library: "Shared Documents", path: "" });
  assert.throws(() => splitFolder("/"), /names no library/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/x.txt`, "x");
    const [spec] = await filesFromDirectory(dir, "/Shared Documents");
    assert.equal(spec?.path, "x.txt");
    assert.equal(spec?.sourcePath, `${dir}/x.txt`);
    assert.ok(spec?.lastModified instanceof Date);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startSimulator() rejects a busy fixed port and releases the ports it took", async () => {
  await using first = await startSimulator();
  const busy = Number(new URL(first.graphBaseUrl).port);
  await assert.rejects(startSimulator({ ports: { db: busy } }), Deno.errors.AddrInUse);
  await assert.rejects(startSimulator({ files: [{ path: "", size: 1 }] }), /the path is empty/);
});
