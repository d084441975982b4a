/**
 * The `SharePointClient` contract against hostile SharePoint behaviour (real-sharepoint-quirks.md
 * §3, §4, §10–§14, §22, §23), each switched on in the simulator and met over real loopback HTTP.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { GraphError, IntegrityError, MalwareError } from "../../src/errors.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { PagingLoopError } from "../../src/graph/paging_guard.ts";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import type {
  FolderChange,
  MalformedItem,
  RemoteFile,
  RemoteFolder,
} from "../../src/graph/sharepoint_client.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { SimOptions, Simulator } from "../../src/sim/types.ts";
import { clientSettingsFor } from "../helpers/graph_settings.ts";

interface Harness {
  sim: Simulator;
  client: GraphSharePointClient;
  folder: RemoteFolder;
  dir: string;
}

async function withSim(options: SimOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  await using sim = await startSimulator(options);
  const dir = await Deno.makeTempDir({ prefix: "ingest-hostile-" });
  const settings = clientSettingsFor(sim, { request_timeout_seconds: 5 });
  const client = new GraphSharePointClient({
    settings,
    backoff: { baseMs: 5, maxMs: 20 },
    maxRetries: 1,
  });
  try {
    await fn({ sim, client, folder: await client.resolveFolder(), dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function changesOf(
  h: Harness,
  scope: "folder" | "root",
  link?: string,
): Promise<{ changes: FolderChange[]; link: string }> {
  const changes: FolderChange[] = [];
  const feed = h.client.listChanges(h.folder, { scope, link });
  for (;;) {
    const next = await feed.next();
    if (next.done) return { changes, link: next.value };
    changes.push(next.value);
  }
}

async function listed(h: Harness): Promise<{ files: RemoteFile[]; malformed: MalformedItem[] }> {
  const files: RemoteFile[] = [];
  const malformed: MalformedItem[] = [];
  for await (const file of h.client.listFiles(h.folder, undefined, (m) => malformed.push(m))) {
    files.push(file);
  }
  return { files, malformed };
}

const fileNames = (changes: FolderChange[]) =>
  changes.flatMap((c) => c.kind === "file" ? [c.file.name] : []).sort();

const downloads = (sim: Simulator) => sim.requestLog.filter((e) => e.server === "download");

// --- listings -------------------------------------------------------------------------------

Deno.test("contract (hostile): items without size or name are skipped, named, and the rest listed", () =>
  withSim({
    files: [
      { path: "Reports/ok.csv", size: 10 },
      { path: "Reports/nosize.csv", size: 10, quirks: { omit: "size" } },
      { path: "Reports/noname.csv", size: 10, quirks: { omit: "name" } },
    ],
  }, async (h) => {
    const children = await listed(h);
    assert.deepEqual(children.files.map((f) => f.name), ["ok.csv"]);
    assert.deepEqual(
      children.malformed.map((m) => [m.name, m.reason]).sort(),
      [[undefined, "it has no name"], ["nosize.csv", "it has no size"]],
    );
    const delta = await changesOf(h, "folder");
    assert.deepEqual(fileNames(delta.changes), ["ok.csv"]);
    const malformed = delta.changes.filter((c) => c.kind === "malformed");
    assert.equal(malformed.length, 2);

    h.sim.setFileQuirks("Reports/nosize.csv", undefined);
    const id = malformed.find((c) => c.kind === "malformed" && c.name === "nosize.csv")!;
    const again = await h.client.itemChange(h.folder, (id as { id: string }).id);
    assert.equal(again.kind, "file");
  }));

Deno.test("contract (hostile): a delta that repeats its nextLink ends with 'keeps returning the same page'", () =>
  withSim({
    files: [{ path: "Reports/a.csv", size: 10 }],
    deltaQuirks: { loop: "same-link" },
  }, async (h) => {
    await assert.rejects(
      changesOf(h, "folder"),
      (e) => e instanceof PagingLoopError && /keeps returning the same page/.test(e.message),
    );
    const pages = h.sim.requestLog.filter((e) => e.url.includes("/delta")).length;
    assert.equal(pages, 2, "the repeated link is not followed");
  }));

Deno.test("contract (hostile): a delta looping behind fresh nextLinks ends after 20 pages without a new item", () =>
  withSim({
    files: [{ path: "Reports/a.csv", size: 10 }, { path: "Reports/b.csv", size: 10 }],
    deltaQuirks: { loop: "fresh-link" },
  }, async (h) => {
    await assert.rejects(
      changesOf(h, "folder"),
      (e) =>
        e instanceof PagingLoopError &&
        /Cannot list the changes of "\/Shared Documents\/Reports": the server keeps returning the same page/
          .test(e.message),
    );
    assert.equal(h.sim.requestLog.filter((e) => e.url.includes("/delta")).length, 21);
  }));

Deno.test("contract (hostile): a folder delta that always answers 410 is thrown after one restart; root delta lists", () =>
  withSim({
    files: [{ path: "Reports/a.csv", size: 10 }],
    deltaQuirks: { folderResync: true },
  }, async (h) => {
    const feed = h.client.listChanges(h.folder, { scope: "folder", link: undefined });
    const first = await feed.next();
    assert.equal((first.value as FolderChange).kind, "restart");
    await assert.rejects(feed.next(), (e) => e instanceof GraphError && e.status === 410);
    const root = await changesOf(h, "root");
    assert.deepEqual(fileNames(root.changes), ["a.csv"]);
  }));

Deno.test("contract (hostile): an expired link whose Location fails restarts from the tokenless URL", () =>
  withSim({ files: [{ path: "Reports/a.csv", size: 10 }] }, async (h) => {
    const { link } = await changesOf(h, "folder");
    h.sim.expireDeltaLinks();
    h.sim.setDeltaQuirks({ brokenLocation: true });
    h.sim.addFile({ path: "Reports/b.csv", size: 10 });
    const again = await changesOf(h, "folder", link);
    const restarts = again.changes.filter((c) => c.kind === "restart");
    assert.equal(restarts.length, 2, "from the dead link to Location, then to the tokenless URL");
    assert.deepEqual(fileNames(again.changes), ["a.csv", "b.csv"]);
    const statuses = h.sim.requestLog.filter((e) => e.url.includes("/delta")).map((e) => e.status);
    assert.deepEqual(statuses.slice(-4), [410, 500, 500, 200]);
  }));

Deno.test("contract (hostile): the malware facet is selected in listings", () =>
  withSim({
    files: [
      { path: "Reports/bad.pdf", size: 100, quirks: { malware: {} } },
      { path: "Reports/good.pdf", size: 100 },
    ],
  }, async (h) => {
    const delta = await changesOf(h, "folder");
    const files = delta.changes.flatMap((c) => c.kind === "file" ? [c.file] : []);
    assert.deepEqual(files.map((f) => [f.name, f.malware ?? false]).sort(), [
      ["bad.pdf", true],
      ["good.pdf", false],
    ]);
    const children = await listed(h);
    assert.equal(children.files.find((f) => f.name === "bad.pdf")?.malware, true);
  }));

// --- downloads ------------------------------------------------------------------------------

Deno.test("contract (hostile): chunked bodies without Content-Length are complete: a rewritten .xlsx is accepted, a .csv verified", () =>
  withSim({
    files: [
      { path: "Reports/Q4.xlsx", size: 30_000, rewrite: {} },
      { path: "Reports/data.csv", size: 30_000 },
    ],
    downloadBodies: { chunked: true },
  }, async (h) => {
    const { files } = await listed(h);
    const byName = new Map(files.map((f) => [f.name, f]));
    const options = { verifyHash: true, rewrittenExtensions: ["xlsx"] };
    const xlsx = await h.client.downloadFile(byName.get("Q4.xlsx")!, join(h.dir, "q4"), options);
    assert.equal(xlsx.verification.kind, "rewritten");
    assert.equal(xlsx.bytes, 30_012);
    const csv = await h.client.downloadFile(byName.get("data.csv")!, join(h.dir, "d"), options);
    assert.deepEqual(csv.verification, { kind: "verified", hashChecked: true });
    for (const entry of downloads(h.sim)) {
      assert.equal(entry.headers["accept-encoding"], "identity");
    }
  }));

Deno.test("contract (hostile): a gzip body sent despite Accept-Encoding: identity is decoded and verified", () =>
  withSim({
    files: [{ path: "Reports/data.csv", size: 200_000 }],
    downloadBodies: { gzip: true },
  }, async (h) => {
    const { files } = await listed(h);
    const dest = join(h.dir, "d");
    const result = await h.client.downloadFile(files[0]!, dest, { verifyHash: true });
    assert.deepEqual(result.verification, { kind: "verified", hashChecked: true });
    assert.equal((await Deno.readFile(dest)).length, 200_000);
  }));

Deno.test("contract (hostile): a 200 HTML error page for a .pdf is an integrity failure and leaves no file", () =>
  withSim({ files: [{ path: "Reports/report.pdf", size: 5_000, rewrite: {} }] }, async (h) => {
    const { files } = await listed(h);
    h.sim.addFault({
      match: { server: "download" },
      fault: {
        kind: "status",
        status: 200,
        contentType: "text/html; charset=utf-8",
        body: "<html><body>Sorry, something went wrong</body></html>",
      },
    });
    const dest = join(h.dir, "r");
    await assert.rejects(
      h.client.downloadFile(files[0]!, dest, { verifyHash: true, rewrittenExtensions: ["pdf"] }),
      (e) =>
        e instanceof IntegrityError && /HTML page \(Content-Type: text\/html\)/.test(e.message),
    );
    await assert.rejects(Deno.stat(dest), Deno.errors.NotFound);
  }));

Deno.test("contract (hostile): rewritten types must start with their signature; an OLE .docx looks encrypted", () => {
  const ole = new Uint8Array(4000).map((_, i) => i % 251);
  ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  const stub = new TextEncoder().encode(
    "This file is infected and cannot be downloaded. (65 bytes)",
  );
  return withSim({
    files: [
      { path: "Reports/label.docx", content: ole, rewrite: {} },
      { path: "Reports/stub.pdf", content: stub, rewrite: {} },
      { path: "Reports/fine.pdf", size: 4_000, rewrite: {} },
    ],
  }, async (h) => {
    const { files } = await listed(h);
    const byName = new Map(files.map((f) => [f.name, f]));
    const options = { verifyHash: true, rewrittenExtensions: ["docx", "pdf"] };
    await assert.rejects(
      h.client.downloadFile(byName.get("label.docx")!, join(h.dir, "l"), options),
      (e) =>
        e instanceof IntegrityError &&
        /looks encrypted \(IRM or sensitivity label\)/.test(e.message),
    );
    await assert.rejects(
      h.client.downloadFile(byName.get("stub.pdf")!, join(h.dir, "s"), options),
      (e) => e instanceof IntegrityError && /do not start like a PDF file/.test(e.message),
    );
    const fine = await h.client.downloadFile(byName.get("fine.pdf")!, join(h.dir, "f"), options);
    assert.equal(fine.verification.kind, "rewritten");
  });
});

Deno.test("contract (hostile): a malware 403 (X-Virus-Infected) is one request, never a URL refresh", () =>
  withSim({
    files: [{ path: "Reports/bad.csv", size: 100, quirks: { malware: { facet: false } } }],
  }, async (h) => {
    const { files } = await listed(h);
    assert.equal(files[0]!.malware, undefined);
    await assert.rejects(
      h.client.downloadFile(files[0]!, join(h.dir, "b"), { verifyHash: true }),
      (e) => e instanceof MalwareError && /flagged as malware by SharePoint/.test(e.message),
    );
    assert.deepEqual(downloads(h.sim).map((e) => e.status), [403]);
    const refreshes = h.sim.requestLog.filter((e) => /\/items\/[^/?]+(\?|$)/.test(e.url));
    assert.equal(refreshes.length, 0, "no fresh download URL was asked for");
  }));

Deno.test("contract (hostile): /content of a flagged file answers 403 malwareDetected", () =>
  withSim({
    files: [{ path: "Reports/bad.csv", size: 100, quirks: { malware: { facet: false } } }],
  }, async (h) => {
    const { files } = await listed(h);
    await assert.rejects(
      h.client.downloadFile({ ...files[0]!, downloadUrl: undefined }, join(h.dir, "b"), {
        verifyHash: true,
      }),
      (e) => e instanceof GraphError && e.code === "malwareDetected",
    );
  }));

Deno.test("contract (hostile): a 403 that survives one URL refresh is access denied", () =>
  withSim({ files: [{ path: "Reports/a.csv", size: 100 }] }, async (h) => {
    const { files } = await listed(h);
    h.sim.addFault({
      match: { server: "download" },
      fault: { kind: "status", status: 403, code: "accessDenied" },
      times: Infinity,
    });
    await assert.rejects(
      h.client.downloadFile(files[0]!, join(h.dir, "a"), { verifyHash: true }),
      (e) =>
        e instanceof GraphError && e.status === 403 &&
        /access denied \(403\) even with a fresh download URL/.test(e.message),
    );
    assert.deepEqual(downloads(h.sim).map((e) => e.status), [403, 403]);
  }));

Deno.test("contract (hostile): a site locked by an administrator (423) says so", () =>
  withSim({ files: [{ path: "Reports/a.csv", size: 100 }] }, async (h) => {
    h.sim.addFault({
      match: { server: "graph", path: "/delta" },
      fault: { kind: "status", status: 423, code: "notAllowed" },
    });
    await assert.rejects(
      changesOf(h, "folder"),
      (e) =>
        e instanceof GraphError && e.status === 423 &&
        /locked or blocked by a SharePoint administrator/.test(e.message),
    );
  }));

Deno.test("contract (hostile): hashes of generated Office and PDF files start with their format", () =>
  withSim({ files: [{ path: "Reports/x.xlsx", size: 1000 }] }, async (h) => {
    const { files } = await listed(h);
    const dest = join(h.dir, "x");
    await h.client.downloadFile(files[0]!, dest, { verifyHash: true });
    const bytes = await Deno.readFile(dest);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
    assert.equal(quickXorHash(bytes), files[0]!.quickXorHash);
  }));

Deno.test("contract (hostile): children pages looping behind fresh or repeated nextLinks end with PagingLoopError", async () => {
  for (const loop of ["fresh-link", "same-link"] as const) {
    await withSim({
      files: [{ path: "Reports/a.csv", size: 10 }],
      deltaQuirks: { childrenLoop: loop },
    }, async (h) => {
      await assert.rejects(
        listed(h),
        (e) =>
          e instanceof PagingLoopError &&
          /^Cannot list the files of "\/Shared Documents\/Reports": the server keeps returning the same page/
            .test(e.message),
      );
      const pages = h.sim.requestLog.filter((e) => e.url.includes("/children")).length;
      assert.ok(pages <= 22, `${loop}: ${pages} pages`);
    });
  }
});

Deno.test("contract (hostile): X-Virus-Infected on a 200 answer is malware: no file is written", () =>
  withSim({ files: [{ path: "Reports/a.csv", size: 100 }] }, async (h) => {
    const { files } = await listed(h);
    h.sim.addFault({
      match: { server: "download" },
      fault: {
        kind: "status",
        status: 200,
        body: "infected",
        contentType: "application/octet-stream",
        headers: { "x-virus-infected": "true" },
      },
    });
    const dest = join(h.dir, "a");
    await assert.rejects(
      h.client.downloadFile(files[0]!, dest, { verifyHash: true }),
      (e) => e instanceof MalwareError && /X-Virus-Infected: true/.test(e.message),
    );
    await assert.rejects(Deno.stat(dest), Deno.errors.NotFound);
    assert.equal(downloads(h.sim).length, 1);
  }));

Deno.test("contract (hostile): every 410 code restarts the feed (status decides, not the code)", async () => {
  const codes = [
    "resyncRequired",
    "resyncChangesApplyDifferences",
    "resyncChangesUploadDifferences",
    "SyncStateNotFound",
  ];
  for (const code of codes) {
    await withSim({ files: [{ path: "Reports/a.csv", size: 10 }] }, async (h) => {
      const { link } = await changesOf(h, "folder");
      h.sim.addFault({
        match: { server: "graph", path: "/delta" },
        fault: { kind: "status", status: 410, code },
      });
      const again = await changesOf(h, "folder", link);
      assert.equal(again.changes[0]?.kind, "restart", code);
      assert.equal(again.changes.filter((c) => c.kind === "restart").length, 1, code);
      assert.deepEqual(fileNames(again.changes), ["a.csv"], code);
    });
  }
});
