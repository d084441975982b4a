/**
 * The `SharePointClient` contract, run against the simulator over real loopback HTTP.
 * Only settings differ from a real tenant: graph_base_url, authority_host and credentials.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  AbortedError,
  AuthError,
  GraphError,
  IntegrityError,
  TimeoutError,
} from "../../src/errors.ts";
import { type GraphClientSettings, GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import type { RemoteFile, RemoteFolder } from "../../src/graph/sharepoint_client.ts";
import { createTestCertificate } from "../../src/sim/certificate.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { SimOptions, Simulator } from "../../src/sim/types.ts";
import { clientSettingsFor } from "../helpers/graph_settings.ts";

const LIBRARIES = [
  { name: "Documents", urlSegment: "Shared Documents", isDefault: true },
  { name: "Archiv", urlSegment: "Archive" },
  { name: "Dokumente", urlSegment: "Freigegebene Dokumente" },
];

interface Harness {
  sim: Simulator;
  client: GraphSharePointClient;
  dir: string;
  /** Status codes as the client received them, with the time (client clock). */
  received: { status: number; url: string; at: number }[];
  clientFor(overrides: Partial<GraphClientSettings>): GraphSharePointClient;
}

async function withSim(
  options: SimOptions,
  fn: (h: Harness) => Promise<void>,
  overrides: Partial<GraphClientSettings> = {},
): Promise<void> {
  await using sim = await startSimulator({ libraries: LIBRARIES, ...options });
  const dir = await Deno.makeTempDir({ prefix: "ingest-contract-" });
  const received: Harness["received"] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    received.push({ status: response.status, url: String(input), at: Date.now() });
    return response;
  };
  const clientFor = (more: Partial<GraphClientSettings>) =>
    new GraphSharePointClient({
      settings: clientSettingsFor(sim, { ...overrides, ...more }),
      fetch: recordingFetch,
      backoff: { baseMs: 5, maxMs: 20 },
      maxRetries: 2,
    });
  try {
    await fn({ sim, client: clientFor({}), dir, received, clientFor });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function listAll(client: GraphSharePointClient, folder: RemoteFolder): Promise<RemoteFile[]> {
  const files: RemoteFile[] = [];
  for await (const file of client.listFiles(folder)) files.push(file);
  return files;
}

async function onlyFile(client: GraphSharePointClient): Promise<RemoteFile> {
  const files = await listAll(client, await client.resolveFolder());
  assert.equal(files.length, 1);
  return files[0]!;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

const content = (text: string) => new TextEncoder().encode(text);

// --- auth ---------------------------------------------------------------------------------

Deno.test("contract: authenticates with a client secret and reuses the token", () =>
  withSim({}, async ({ sim, client }) => {
    await client.authenticate();
    await client.authenticate();
    const logins = sim.requestLog.filter((e) => e.server === "login");
    assert.equal(logins.length, 1);
    assert.equal(logins[0]!.status, 200);
    assert.match(logins[0]!.headers["user-agent"] ?? "", /ingest\/\d/);
  }));

Deno.test("contract: authenticates with a certificate (PS256 client assertion)", async () => {
  const cert = await createTestCertificate();
  const path = await Deno.makeTempFile({ suffix: ".pem" });
  try {
    await Deno.writeTextFile(path, cert.privateKeyPem + cert.certificatePem);
    await withSim({ certificatePem: cert.certificatePem }, async ({ sim, clientFor }) => {
      const client = clientFor({ client_secret: undefined, client_certificate_path: path });
      await client.authenticate();
      const folder = await client.resolveFolder();
      assert.equal(folder.driveName, "Documents");
      assert.equal(sim.requestLog.filter((e) => e.server === "login")[0]?.status, 200);
    }, { sharepoint_folder: "/Shared Documents" });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("contract: a wrong secret fails with AADSTS7000215", () =>
  withSim({}, async ({ clientFor }) => {
    const error = await clientFor({ client_secret: "not-the-secret" }).authenticate().catch((e) =>
      e
    );
    assert.ok(error instanceof AuthError);
    assert.equal(error.aadsts, 7000215);
    assert.match(error.message, /^Cannot get token: AADSTS7000215 Invalid client secret provided/);
    assert.doesNotMatch(error.message, /Trace ID|not-the-secret/);
  }));

Deno.test("contract: a wrong tenant fails with the tenant's AADSTS code", () =>
  withSim({}, async ({ clientFor }) => {
    const error = await clientFor({ tenant_id: "fabrikam.onmicrosoft.com" }).authenticate()
      .catch((e) => e);
    assert.ok(error instanceof AuthError);
    assert.equal(error.aadsts, 90002);
    assert.match(
      error.message,
      /^Cannot get token: AADSTS90002 Tenant 'fabrikam.onmicrosoft.com' not found/,
    );
  }));

// --- resolution ---------------------------------------------------------------------------

const RESOLVE_FILES: SimOptions["files"] = [
  { path: "Reports/a.csv", content: content("a") },
  { path: "Reports/2024/Q1 #4/deep.csv", content: content("deep") },
  { path: "Reports/Incoming/x.csv", content: content("x") },
  { path: "2024/old.csv", library: "Archive", content: content("old") },
  { path: "Berichte/b.csv", library: "Freigegebene Dokumente", content: content("b") },
];

Deno.test("contract: resolves default, non-default, localized libraries and nested folders", () =>
  withSim({ files: RESOLVE_FILES }, async ({ clientFor }) => {
    const table: [string, string, string, string][] = [
      ["/Shared Documents/Reports", "Documents", "Shared Documents", "Reports"],
      ["/Shared Documents", "Documents", "Shared Documents", ""],
      [
        "/shared documents/reports/2024/Q1 #4",
        "Documents",
        "Shared Documents",
        "reports/2024/Q1 #4",
      ],
      ["/Archive/2024", "Archiv", "Archive", "2024"],
      ["/Freigegebene Dokumente/Berichte", "Dokumente", "Freigegebene Dokumente", "Berichte"],
    ];
    for (const [folder, name, segment, inDrive] of table) {
      const resolved = await clientFor({ sharepoint_folder: folder }).resolveFolder();
      assert.equal(resolved.driveName, name, folder);
      assert.equal(resolved.driveUrlSegment, segment, folder);
      assert.equal(resolved.pathInDrive, inDrive, folder);
      assert.ok(resolved.itemId, folder);
    }
    const deep = await clientFor({ sharepoint_folder: "/Shared Documents/Reports/2024/Q1 #4" })
      .resolveFolder();
    const files = await listAll(clientFor({}), deep);
    assert.deepEqual(files.map((f) => f.name), ["deep.csv"]);
  }));

Deno.test("contract: missing library, folder and site are reported with what exists", () =>
  withSim({ files: RESOLVE_FILES }, async ({ sim, clientFor }) => {
    const library = await clientFor({ sharepoint_folder: "/Shared Docs/Reports" }).resolveFolder()
      .catch((e) => e);
    assert.ok(library instanceof GraphError);
    assert.equal(
      library.message,
      `Cannot resolve library "/Shared Docs" on site ${sim.siteUrl}: libraries are ` +
        `"Shared Documents" (Documents), "Archive" (Archiv), "Freigegebene Dokumente" (Dokumente)`,
    );
    const folder = await clientFor({ sharepoint_folder: "/Shared Documents/Reports/Outgoing" })
      .resolveFolder().catch((e) => e);
    assert.ok(folder instanceof GraphError);
    assert.equal(
      folder.message,
      `Cannot resolve folder "/Shared Documents/Reports/Outgoing" on site ${sim.siteUrl}: ` +
        `"/Reports" has no folder "Outgoing"; its folders are "2024", "Incoming"`,
    );
    const site = await clientFor({
      sharepoint_site_url: "https://contoso.sharepoint.com/sites/Nope",
    })
      .resolveFolder().catch((e) => e);
    assert.ok(site instanceof GraphError);
    assert.equal(site.status, 404);
    assert.match(
      site.message,
      /^Cannot resolve site "\/sites\/Nope" on contoso.sharepoint.com: 404 itemNotFound/,
    );
  }));

// --- listing ------------------------------------------------------------------------------

Deno.test("contract: lists every file across 3 pages and skips folders", () => {
  const files = Array.from({ length: 2050 }, (_, i) => ({
    path: `Reports/f${String(i).padStart(4, "0")}.csv`,
    size: 1,
  }));
  return withSim({ files }, async ({ sim, client }) => {
    sim.addFolder("Reports/Sub");
    sim.addFile({ path: "Reports/Sub/nested.csv", content: content("n") });
    const listed = await listAll(client, await client.resolveFolder());
    assert.equal(listed.length, 2050);
    assert.equal(new Set(listed.map((f) => f.id)).size, 2050);
    assert.ok(!listed.some((f) => f.name === "Sub" || f.name === "nested.csv"));
    const pages = sim.requestLog.filter((e) => e.server === "graph" && e.url.includes("/children"));
    assert.equal(pages.length, 3);
    assert.ok(pages.every((p) => p.status === 200));
    const first = listed[0]!;
    assert.equal(first.size, 1);
    assert.ok(first.quickXorHash?.endsWith("="));
    assert.ok(first.downloadUrl?.startsWith(sim.downloadOrigin));
    assert.ok(first.lastModified instanceof Date && !Number.isNaN(first.lastModified.getTime()));
  });
});

Deno.test("contract: listChildren yields files and subfolders with parent ids", () =>
  withSim({
    files: [
      { path: "Reports/top.csv", size: 1 },
      { path: "Reports/2026/12/x.csv", size: 2 },
    ],
  }, async ({ client }) => {
    const folder = await client.resolveFolder();
    const top = [];
    for await (const entry of client.listChildren(folder, folder.itemId)) top.push(entry);
    const sub = top.find((e) => e.kind === "subfolder");
    assert.ok(sub?.kind === "subfolder");
    assert.equal(sub.folder.name, "2026");
    assert.equal(sub.folder.parentId, folder.itemId);
    assert.deepEqual(top.filter((e) => e.kind === "file").map((e) => e.file.name), ["top.csv"]);
    const below = [];
    for await (const entry of client.listChildren(folder, sub.folder.id)) below.push(entry);
    assert.deepEqual(below.map((e) => e.kind === "subfolder" && e.folder.name), ["12"]);
  }));

Deno.test("contract: a subtree delta feed names folders and files with their parents", () =>
  withSim({
    files: [
      { path: "Reports/top.csv", size: 1 },
      { path: "Reports/2026/12/x.csv", size: 2 },
      { path: "Other/y.csv", size: 3 },
    ],
  }, async ({ client }) => {
    const folder = await client.resolveFolder();
    const changes = client.listChanges(folder, { scope: "folder", link: undefined, subtree: true });
    const folders = new Map<string, string | undefined>();
    const files = new Map<string, string | undefined>();
    for (;;) {
      const next = await changes.next();
      if (next.done) {
        assert.match(next.value, /token=/);
        break;
      }
      const change = next.value;
      if (change.kind === "subfolder") folders.set(change.folder.name, change.folder.parentId);
      if (change.kind === "file") files.set(change.file.name, change.parentId);
    }
    assert.equal(files.get("top.csv"), folder.itemId);
    assert.ok(files.has("x.csv"));
    assert.equal(files.has("y.csv"), false, "folder delta stays in the folder");
    assert.equal(folders.get("2026"), folder.itemId);
  }));

Deno.test("contract: odd names are listed and downloaded intact", () => {
  const names = ["Q1 #4.csv", "100% done.txt", "Résumé – 日本.txt", "a+b (1).csv"];
  return withSim(
    { files: names.map((n) => ({ path: `Reports/${n}`, content: content(n) })) },
    async ({ client, dir }) => {
      const listed = await listAll(client, await client.resolveFolder());
      assert.deepEqual(listed.map((f) => f.name).sort(), [...names].sort());
      for (const [i, file] of listed.entries()) {
        const dest = join(dir, `f${i}`);
        await client.downloadFile(file, dest, { verifyHash: true });
        assert.equal(await Deno.readTextFile(dest), file.name);
      }
    },
  );
});

// --- throttling, token expiry, transient errors ----------------------------------------------

Deno.test("contract: 429 Retry-After is honoured before the next request", () =>
  withSim(
    { files: [{ path: "Reports/a.csv", content: content("a") }] },
    async ({ sim, client, received }) => {
      const folder = await client.resolveFolder();
      sim.addFault({
        match: { server: "graph", path: "/children" },
        fault: { kind: "status", status: 429, retryAfter: "0.05" },
      });
      const files = await listAll(client, folder);
      assert.equal(files.length, 1);
      const throttled = received.find((r) => r.status === 429)!;
      const pages = sim.requestLog.filter((e) => e.url.includes("/children"));
      assert.deepEqual(pages.map((p) => p.status), [429, 200]);
      assert.ok(
        pages[1]!.at >= throttled.at + 50,
        `retried ${pages[1]!.at - throttled.at} ms after the 429`,
      );
    },
  ));

Deno.test("contract: a 503 pauses every concurrent request until Retry-After elapsed", () =>
  withSim({
    files: ["a", "b", "c"].map((n) => ({
      path: `Reports/${n}.csv`,
      content: content(n.repeat(100)),
    })),
  }, async ({ sim, client, dir, received }) => {
    const files = await listAll(client, await client.resolveFolder());
    sim.addFault({
      match: { server: "download", file: "a.csv" },
      fault: { kind: "status", status: 503, retryAfter: "0.3" },
    });
    const first = client.downloadFile(files[0]!, join(dir, "a"), { verifyHash: true });
    while (!received.some((r) => r.status === 503)) await new Promise((r) => setTimeout(r, 2));
    const throttledAt = received.find((r) => r.status === 503)!.at;
    const others = files.slice(1).map((f) =>
      client.downloadFile(f, join(dir, f.name), { verifyHash: true })
    );
    await Promise.all([first, ...others]);
    const later = sim.requestLog.filter((e) => e.server === "download" && e.status === 200);
    assert.equal(later.length, 3);
    for (const entry of later) {
      assert.ok(
        entry.at >= throttledAt + 300,
        `a download was sent ${entry.at - throttledAt} ms after the 503`,
      );
    }
  }));

Deno.test("contract: throttling beyond max_throttle_wait_seconds gives ThrottledError", () =>
  withSim(
    { files: [{ path: "Reports/a.csv", content: content("a") }] },
    async ({ sim, clientFor }) => {
      const client = clientFor({ max_throttle_wait_seconds: 0.1 });
      const folder = await client.resolveFolder();
      sim.addFault({
        match: { server: "graph", path: "/children" },
        fault: { kind: "status", status: 429, retryAfter: "0.04" },
        times: Infinity,
      });
      const error = await listAll(client, folder).catch((e) => e);
      assert.equal(error?.name, "ThrottledError");
      assert.equal(error.waitedMs, 80);
      assert.equal(sim.requestLog.filter((e) => e.url.includes("/children")).length, 3);
    },
  ));

Deno.test("contract: an expired token mid-run is renewed once and the request replayed", () =>
  withSim(
    { files: [{ path: "Reports/a.csv", content: content("a") }] },
    async ({ sim, client }) => {
      const folder = await client.resolveFolder();
      sim.addFault({
        match: { server: "graph", path: "/children" },
        fault: { kind: "expire-token" },
      });
      const files = await listAll(client, folder);
      assert.equal(files.length, 1);
      assert.equal(sim.requestLog.filter((e) => e.server === "login").length, 2);
      const pages = sim.requestLog.filter((e) => e.url.includes("/children"));
      assert.deepEqual(pages.map((p) => p.status), [401, 200]);
      assert.notEqual(pages[0]!.headers.authorization, pages[1]!.headers.authorization);
    },
  ));

Deno.test("contract: 5xx answers are retried", () =>
  withSim(
    { files: [{ path: "Reports/a.csv", content: content("a") }] },
    async ({ sim, client }) => {
      const folder = await client.resolveFolder();
      sim.addFault({
        match: { server: "graph", path: "/children" },
        fault: { kind: "status", status: 502 },
        times: 2,
      });
      assert.equal((await listAll(client, folder)).length, 1);
      const pages = sim.requestLog.filter((e) => e.url.includes("/children"));
      assert.deepEqual(pages.map((p) => p.status), [502, 502, 200]);
    },
  ));

// --- downloads --------------------------------------------------------------------------------

Deno.test("contract: downloads stream to disk, verified, without Authorization at the download origin", () => {
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
  return withSim(
    { files: [{ path: "Reports/big.bin", content: big }] },
    async ({ sim, client, dir }) => {
      const file = await onlyFile(client);
      const dest = join(dir, "big.bin");
      const progress: number[] = [];
      const result = await client.downloadFile(file, dest, {
        verifyHash: true,
        onProgress: (n) => progress.push(n),
      });
      assert.deepEqual(result, {
        bytes: big.length,
        quickXorHash: quickXorHash(big),
        verification: { kind: "verified", hashChecked: true },
        resumedFrom: 0,
      });
      assert.equal(result.quickXorHash, file.quickXorHash);
      assert.deepEqual(await Deno.readFile(dest), big);
      assert.equal(progress.at(-1), big.length);
      const downloads = sim.requestLog.filter((e) => e.server === "download");
      assert.equal(downloads.length, 1);
      for (const entry of sim.requestLog.filter((e) => e.server === "download")) {
        assert.equal(entry.headers.authorization, undefined);
      }
    },
  );
});

Deno.test("contract: a small body read in one call fails whole when truncated, then lands verified", () =>
  withSim({ files: [{ path: "Reports/s.csv", size: 60_000 }] }, async ({ sim, client, dir }) => {
    const file = await onlyFile(client);
    const dest = join(dir, "s.csv");
    sim.addFault({
      match: { server: "download" },
      fault: { kind: "truncate", afterBytes: 10_000 },
    });
    const truncated = await client.downloadFile(file, dest, { verifyHash: true }).catch((e) => e);
    assert.ok(truncated instanceof GraphError, String(truncated));
    assert.match(truncated.message, /^Cannot download "s.csv": the transfer broke after/);
    assert.equal(await exists(dest), false);
    const progress: number[] = [];
    const result = await client.downloadFile(file, dest, {
      verifyHash: true,
      onProgress: (bytes) => progress.push(bytes),
    });
    assert.equal(result.bytes, 60_000);
    assert.equal(result.quickXorHash, file.quickXorHash);
    assert.deepEqual(progress, [60_000], "one progress report for a body read in one call");
  }));

Deno.test("contract: a connection reset or truncated body fails and leaves no file", () =>
  withSim({ files: [{ path: "Reports/a.bin", size: 200_000 }] }, async ({ sim, client, dir }) => {
    const file = await onlyFile(client);
    const dest = join(dir, "a.bin");
    sim.addFault({
      match: { server: "download" },
      fault: { kind: "truncate", afterBytes: 70_000 },
    });
    const truncated = await client.downloadFile(file, dest, { verifyHash: true }).catch((e) => e);
    assert.ok(truncated instanceof GraphError, String(truncated));
    assert.match(
      truncated.message,
      /^Cannot download "a.bin": the transfer broke after 70000 of 200000 bytes$/,
    );
    assert.equal(await exists(dest), false);
    sim.addFault({ match: { server: "download" }, fault: { kind: "reset" } });
    const reset = await client.downloadFile(file, dest, { verifyHash: true }).catch((e) => e);
    assert.ok(reset instanceof GraphError, String(reset));
    assert.match(
      reset.message,
      /^Cannot download "a.bin": the transfer broke after 0 of 200000 bytes$/,
    );
    assert.equal(await exists(dest), false);
    await client.downloadFile(file, dest, { verifyHash: true });
    assert.equal((await Deno.stat(dest)).size, 200_000);
  }));

Deno.test("contract: corrupted bytes fail the hash check with IntegrityError", () =>
  withSim({ files: [{ path: "Reports/a.bin", size: 50_000 }] }, async ({ sim, client, dir }) => {
    const file = await onlyFile(client);
    const dest = join(dir, "a.bin");
    sim.addFault({ match: { server: "download" }, fault: { kind: "corrupt" } });
    const error = await client.downloadFile(file, dest, { verifyHash: true }).catch((e) => e);
    assert.ok(error instanceof IntegrityError);
    assert.match(error.message, /^Cannot verify "a.bin": QuickXorHash is .+, Graph announced .+/);
    assert.equal(await exists(dest), false);
    sim.addFault({ match: { server: "download" }, fault: { kind: "corrupt" } });
    const unchecked = await client.downloadFile(file, dest, { verifyHash: false });
    assert.notEqual(
      unchecked.quickXorHash,
      file.quickXorHash,
      "verify_hash=false accepts the bytes",
    );
  }));

Deno.test("contract: a stalled body times out; a slow but steady body does not", () =>
  withSim(
    { files: [{ path: "Reports/a.bin", size: 200_000 }] },
    async ({ sim, clientFor, dir }) => {
      const client = clientFor({ request_timeout_seconds: 0.3 });
      const file = await onlyFile(client);
      const dest = join(dir, "a.bin");
      sim.addFault({
        match: { server: "download" },
        fault: { kind: "slow", delayMs: 0, chunkBytes: 16_384, stallMs: 5000 },
      });
      const error = await client.downloadFile(file, dest, { verifyHash: true }).catch((e) => e);
      assert.ok(error instanceof TimeoutError, String(error));
      assert.match(error.message, /^Cannot download "a.bin": no data for 0.3 s after \d+ bytes/);
      assert.equal(await exists(dest), false);
      sim.addFault({
        match: { server: "download" },
        fault: { kind: "slow", delayMs: 20, chunkBytes: 65_536 },
      });
      const result = await client.downloadFile(file, dest, { verifyHash: true });
      assert.equal(result.bytes, 200_000);
    },
  ));

Deno.test("contract: an expired download URL is refreshed from the item once", () =>
  withSim(
    { files: [{ path: "Reports/a.csv", content: content("fresh") }] },
    async ({ sim, client, dir }) => {
      const file = await onlyFile(client);
      sim.addFault({ match: { server: "download" }, fault: { kind: "expire-url" } });
      const dest = join(dir, "a.csv");
      await client.downloadFile(file, dest, { verifyHash: true });
      assert.equal(await Deno.readTextFile(dest), "fresh");
      const downloads = sim.requestLog.filter((e) => e.server === "download");
      assert.deepEqual(downloads.map((d) => d.status), [403, 200]);
      assert.ok(downloads.every((d) => d.headers.authorization === undefined));
      assert.equal(
        sim.requestLog.filter((e) => e.server === "login").length,
        1,
        "the Graph token was not renewed",
      );
    },
  ));

Deno.test("contract: an hour later both the download URL and the token have expired", () => {
  let offset = 0;
  return withSim({
    files: [{ path: "Reports/a.csv", content: content("late") }],
    now: () => Date.now() + offset,
  }, async ({ sim, client, dir }) => {
    const file = await onlyFile(client);
    offset = 2 * 3600_000;
    const dest = join(dir, "a.csv");
    await client.downloadFile(file, dest, { verifyHash: true });
    assert.equal(await Deno.readTextFile(dest), "late");
    const statuses = sim.requestLog.filter((e) => e.server !== "login").slice(-4)
      .map((e) => `${e.server} ${e.status}`);
    assert.deepEqual(statuses, ["download 403", "graph 401", "graph 200", "download 200"]);
  });
});

Deno.test("contract: a file without a download URL is fetched through /content", () =>
  withSim(
    { files: [{ path: "Reports/a.csv", content: content("via content") }] },
    async ({ sim, client, dir }) => {
      const file = await onlyFile(client);
      const dest = join(dir, "a.csv");
      await client.downloadFile({ ...file, downloadUrl: undefined }, dest, { verifyHash: true });
      assert.equal(await Deno.readTextFile(dest), "via content");
      assert.ok(
        sim.requestLog.every((e) =>
          e.server !== "download" || e.headers.authorization === undefined
        ),
      );
    },
  ));

Deno.test("contract: aborting mid-download rejects with AbortedError and leaves no file", () =>
  withSim({ files: [{ path: "Reports/a.bin", size: 300_000 }] }, async ({ sim, client, dir }) => {
    const file = await onlyFile(client);
    sim.addFault({
      match: { server: "download" },
      fault: { kind: "slow", delayMs: 50, chunkBytes: 16_384 },
    });
    const controller = new AbortController();
    const dest = join(dir, "a.bin");
    const error = await client.downloadFile(file, dest, {
      verifyHash: true,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e) => e);
    assert.ok(error instanceof AbortedError, String(error));
    assert.equal(await exists(dest), false);
  }));
