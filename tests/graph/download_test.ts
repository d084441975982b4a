import assert from "node:assert/strict";
import { join } from "node:path";
import { AbortedError, GraphError, IntegrityError, TimeoutError } from "../../src/errors.ts";
import { GraphSharePointClient } from "../../src/graph/graph_client.ts";
import { QuickXorHash, quickXorHash } from "../../src/graph/quickxorhash.ts";
import type { RemoteFile } from "../../src/graph/sharepoint_client.ts";
import { hashPrefix, streamToFile } from "../../src/graph/stream_to_file.ts";
import { graphError, json, type Responder, scriptedFetch } from "../http/fetch_script.ts";
import { settle, SteppedClock } from "../helpers/clocks.ts";

const bytes = new TextEncoder().encode("hello world");
const HASH = "aCgDG9jwBhDc4Q1yawMZAAAAAAA=";

function streamOf(chunks: Uint8Array[], signal?: AbortSignal, hangAfter = false) {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) return controller.enqueue(chunks[i++]!);
      if (!hangAfter) return controller.close();
      return new Promise<void>((_, reject) => {
        signal?.addEventListener("abort", () => {
          controller.error(signal.reason);
          reject(signal.reason);
        }, { once: true });
      });
    },
  });
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("streamToFile() writes and hashes, reporting progress", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    const progress: number[] = [];
    const result = await streamToFile(streamOf([bytes.slice(0, 5), bytes.slice(5)]), {
      destination: dest,
      expectedSize: 11,
      onProgress: (n) => progress.push(n),
    });
    assert.deepEqual(result, { bytes: 11, received: 11, quickXorHash: HASH });
    assert.deepEqual(progress, [5, 11]);
    assert.equal(await Deno.readTextFile(dest), "hello world");
  }));

Deno.test("streamToFile() continues a kept prefix: cut to the offset, hash carried on", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    await Deno.writeTextFile(dest, "hello XXXXXXXX");
    const hash = new QuickXorHash();
    assert.equal(await hashPrefix(dest, hash), 14);
    const prefix = new QuickXorHash();
    prefix.update(bytes.slice(0, 6));
    const result = await streamToFile(streamOf([bytes.slice(6)]), {
      destination: dest,
      expectedSize: 11,
      resume: { offset: 6, hash: prefix },
      syncEveryBytes: 2,
    });
    assert.deepEqual(result, { bytes: 11, received: 5, quickXorHash: HASH });
    assert.equal(await Deno.readTextFile(dest), "hello world");
  }));

Deno.test("streamToFile() leaves an existing destination alone", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    await Deno.writeTextFile(dest, "keep me");
    await assert.rejects(
      streamToFile(streamOf([bytes]), { destination: dest, expectedSize: 11 }),
      Deno.errors.AlreadyExists,
    );
    assert.equal(await Deno.readTextFile(dest), "keep me");
  }));

function brokenBody(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(bytes.slice(0, 4));
      } else controller.error(new TypeError("connection reset"));
    },
  });
}

Deno.test("streamToFile() removes a new file when the body breaks, keeps a resumable one", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    await assert.rejects(
      streamToFile(brokenBody(), { destination: dest, expectedSize: 11 }),
      /connection reset/,
    );
    assert.equal(await exists(dest), false);
    await assert.rejects(
      streamToFile(brokenBody(), {
        destination: dest,
        expectedSize: 11,
        resume: { offset: 0, hash: new QuickXorHash() },
        keepOnError: true,
      }),
      /connection reset/,
    );
    assert.equal(await Deno.readTextFile(dest), "hell");
  }));

const settings = {
  sharepoint_site_url: "https://contoso.sharepoint.com/sites/Finance",
  sharepoint_folder: "/Shared Documents",
  tenant_id: "contoso.onmicrosoft.com",
  client_id: "app",
  client_secret: "secret",
  client_certificate_path: undefined,
  graph_base_url: "https://graph.example/v1.0",
  authority_host: "https://login.example",
  request_timeout_seconds: 5,
  max_throttle_wait_seconds: 60,
};

function file(fields: Partial<RemoteFile> = {}): RemoteFile {
  return {
    id: "item-1",
    driveId: "b!d",
    name: "a.txt",
    size: 11,
    lastModified: new Date(0),
    created: new Date(0),
    quickXorHash: HASH,
    downloadUrl: "https://files.example/dl?tempauth=old",
    eTag: undefined,
    cTag: undefined,
    ...fields,
  };
}

const ITEM_URL = "https://graph.example/v1.0/drives/b!d/items/item-1";

/** The item's metadata as Graph answers it, for the same-version check before a Range. */
function itemJson(fields: Record<string, unknown> = {}) {
  return json({
    id: "item-1",
    name: "a.txt",
    size: 11,
    lastModifiedDateTime: new Date(0).toISOString(),
    file: { hashes: { quickXorHash: HASH } },
    ...fields,
  });
}

function client(responder: Responder) {
  const clock = new SteppedClock();
  const { fetch, calls } = scriptedFetch(clock, (call, n, signal) => {
    if (call.url.startsWith("https://login.example/")) {
      return json({ token_type: "Bearer", expires_in: 3600, access_token: "graph-token" });
    }
    return responder(call, n, signal);
  });
  const sp = new GraphSharePointClient({ settings, fetch, clock, random: () => 0, maxRetries: 0 });
  return { sp, calls, clock };
}

Deno.test("downloadFile() fetches a fresh URL once when the download host rejects it", () =>
  withDir(async (dir) => {
    const { sp, calls } = client((call) => {
      if (call.url === "https://files.example/dl?tempauth=old") {
        return graphError(403, "accessDenied", "Access denied");
      }
      if (call.url === "https://graph.example/v1.0/drives/b!d/items/item-1") {
        return json({
          id: "item-1",
          "@microsoft.graph.downloadUrl": "https://files.example/dl?tempauth=new",
        });
      }
      if (call.url === "https://files.example/dl?tempauth=new") return new Response(bytes);
      return graphError(400, "invalidRequest", call.url);
    });
    const dest = join(dir, "a.txt");
    const result = await sp.downloadFile(file(), dest, { verifyHash: true });
    assert.equal(result.quickXorHash, quickXorHash(bytes));
    assert.equal(await Deno.readTextFile(dest), "hello world");
    const downloads = calls.filter((c) => c.url.startsWith("https://files.example/"));
    assert.equal(downloads.length, 2);
    assert.ok(
      downloads.every((c) => c.headers.get("authorization") === null),
      "no token to the download host",
    );
    const meta = calls.find((c) => c.url.includes("/items/item-1"));
    assert.equal(meta?.headers.get("authorization"), "Bearer graph-token");
  }));

Deno.test("downloadFile() hands the fresh URL to onFreshUrl, so the next attempt skips the dead one", () =>
  withDir(async (dir) => {
    const { sp } = client((call) => {
      if (call.url === "https://files.example/dl?tempauth=old") {
        return graphError(401, "unauthenticated", "expired");
      }
      if (call.url.endsWith("/items/item-1")) {
        return json({ id: "item-1", "@microsoft.graph.downloadUrl": "https://files.example/new" });
      }
      return new Response(bytes);
    });
    const fresh: string[] = [];
    await sp.downloadFile(file(), join(dir, "a.txt"), {
      verifyHash: true,
      onFreshUrl: (url) => fresh.push(url),
    });
    assert.deepEqual(fresh, ["https://files.example/new"]);
  }));

Deno.test("downloadFile() fails a body shorter than its Content-Length as a transfer error, even for a rewritten type", () =>
  withDir(async (dir) => {
    const { sp } = client(() =>
      new Response(bytes.slice(0, 6), { headers: { "content-length": "11" } })
    );
    const dest = join(dir, "a.xlsx");
    const error = await sp.downloadFile(file({ name: "a.xlsx" }), dest, {
      verifyHash: true,
      rewrittenExtensions: ["xlsx"],
    }).catch((e) => e);
    assert.ok(error instanceof GraphError && !(error instanceof IntegrityError), String(error));
    assert.equal(error.message, 'Cannot download "a.xlsx": the transfer broke after 6 of 11 bytes');
    assert.equal(await exists(dest), false);
  }));

Deno.test("downloadFile() resumes a kept prefix with Range and verifies the whole file", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    await Deno.writeTextFile(dest, "hello ");
    const { sp, calls } = client((call) => {
      if (call.url === ITEM_URL) return itemJson({ eTag: '"{E},1"' });
      assert.equal(call.headers.get("range"), "bytes=6-");
      assert.equal(call.headers.get("if-range"), '"{E},1"');
      return new Response(bytes.slice(6), {
        status: 206,
        headers: { "content-length": "5", "content-range": "bytes 6-10/11" },
      });
    });
    const listed = file({ eTag: '"{E},1"' });
    const result = await sp.downloadFile(listed, dest, { verifyHash: true, resume: true });
    assert.equal(result.resumedFrom, 6);
    assert.deepEqual(result.verification, { kind: "verified", hashChecked: true });
    assert.equal(await Deno.readTextFile(dest), "hello world");
    assert.equal(result.current, undefined, "the listed version");
    const graphAndFiles = calls.filter((c) => !c.url.startsWith("https://login.example/"));
    assert.deepEqual(
      graphAndFiles.map((c) => c.url === ITEM_URL),
      [true, false],
      "checked, resumed",
    );
  }));

Deno.test("downloadFile() starts a kept prefix over when the item changed since it began", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    await Deno.writeTextFile(dest, "HELLO ");
    const newer = new TextEncoder().encode("hello world, again");
    const { sp, calls } = client((call) => {
      if (call.url === ITEM_URL) {
        return itemJson({
          eTag: '"{E},2"',
          size: newer.length,
          file: { hashes: { quickXorHash: quickXorHash(newer) } },
          "@microsoft.graph.downloadUrl": "https://files.example/dl?tempauth=v2",
        });
      }
      assert.equal(call.url, "https://files.example/dl?tempauth=v2");
      assert.equal(call.headers.get("range"), null, "no splice: the whole new version");
      return new Response(newer, { headers: { "content-length": String(newer.length) } });
    });
    const listed = file({ eTag: '"{E},1"' });
    const result = await sp.downloadFile(listed, dest, { verifyHash: true, resume: true });
    assert.equal(result.resumedFrom, 0);
    assert.equal(result.current?.eTag, '"{E},2"');
    assert.equal(result.current?.name, "a.txt");
    assert.equal(await Deno.readTextFile(dest), "hello world, again");
    assert.equal(calls.filter((c) => !c.url.startsWith("https://login.example/")).length, 2);
  }));

Deno.test("downloadFile() takes a kept prefix that is already whole when the server answers 416", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.txt");
    await Deno.writeTextFile(dest, "hello world");
    const { sp } = client((call) =>
      call.url === ITEM_URL
        ? itemJson()
        : new Response(null, { status: 416, headers: { "content-range": "bytes */11" } })
    );
    const result = await sp.downloadFile(file(), dest, { verifyHash: true, resume: true });
    assert.equal(result.bytes, 11);
    assert.equal(result.quickXorHash, HASH);
    assert.equal(await Deno.readTextFile(dest), "hello world");
  }));

Deno.test("downloadFile() keeps a resumable prefix when the body breaks, removes it on a content mismatch", () =>
  withDir(async (dir) => {
    const dest = join(dir, "a.csv");
    let n = 0;
    const { sp } = client((call) => {
      if (call.url === ITEM_URL) return itemJson({ name: "a.csv" });
      n++;
      if (n === 1) {
        return new Response(bytes.slice(0, 4), { headers: { "content-length": "11" } });
      }
      const wrong = new TextEncoder().encode("o WORLD");
      return new Response(wrong, {
        status: 206,
        headers: { "content-length": "7", "content-range": "bytes 4-10/11" },
      });
    });
    const options = { verifyHash: true, resume: true };
    await assert.rejects(sp.downloadFile(file({ name: "a.csv" }), dest, options), GraphError);
    assert.equal(await Deno.readTextFile(dest), "hell", "the prefix is kept");
    await assert.rejects(
      sp.downloadFile(file({ name: "a.csv" }), dest, options),
      (e: unknown) => e instanceof IntegrityError && /QuickXorHash is/.test(e.message),
    );
    assert.equal(await exists(dest), false, "a wrong prefix is not kept");
  }));

Deno.test("downloadFile() follows /content's redirect without the token when no URL is known", () =>
  withDir(async (dir) => {
    const { sp, calls } = client((call) => {
      if (call.url.endsWith("/items/item-1")) return json({ id: "item-1" });
      if (call.url.endsWith("/items/item-1/content")) {
        return new Response(null, {
          status: 302,
          headers: { location: "https://files.example/c?tempauth=x" },
        });
      }
      if (call.url === "https://files.example/c?tempauth=x") return new Response(bytes);
      return graphError(400, "invalidRequest", call.url);
    });
    const dest = join(dir, "a.txt");
    await sp.downloadFile(file({ downloadUrl: undefined }), dest, { verifyHash: true });
    assert.equal(await Deno.readTextFile(dest), "hello world");
    const content = calls.find((c) => c.url.endsWith("/content"))!;
    assert.equal(content.redirect, "manual");
    const last = calls.at(-1)!;
    assert.equal(last.headers.get("authorization"), null);
  }));

Deno.test("downloadFile() gives up after a second rejection, leaving no file", () =>
  withDir(async (dir) => {
    const { sp } = client((call) =>
      call.url.includes("/items/")
        ? json({
          id: "item-1",
          "@microsoft.graph.downloadUrl": "https://files.example/dl?tempauth=new",
        })
        : new Response("expired", { status: 401 })
    );
    const dest = join(dir, "a.txt");
    const error = await sp.downloadFile(file(), dest, { verifyHash: true }).catch((e) => e);
    assert.ok(error instanceof GraphError);
    assert.equal(error.message, 'Cannot download "a.txt": 401 expired');
    assert.equal(await exists(dest), false);
  }));

Deno.test("downloadFile() times out a stalled body and removes the partial file", () =>
  withDir(async (dir) => {
    const { sp, clock } = client((_, __, signal) =>
      new Response(streamOf([bytes.slice(0, 3)], signal, true))
    );
    const dest = join(dir, "a.txt");
    const pending = sp.downloadFile(file(), dest, { verifyHash: true }).catch((e) => e);
    await settle();
    await clock.advance(4999);
    assert.equal(await exists(dest), true, "still waiting before the idle timeout");
    await clock.advance(1);
    const error = await pending;
    assert.ok(error instanceof TimeoutError);
    assert.equal(
      error.message,
      'Cannot download "a.txt": no data for 5 s after 3 bytes (request_timeout_seconds)',
    );
    assert.equal(error.url, "https://files.example/dl?tempauth=***");
    assert.equal(await exists(dest), false);
    assert.equal(clock.pending, 0);
  }));

Deno.test("downloadFile() aborts mid-download with AbortedError and no file", () =>
  withDir(async (dir) => {
    const { sp } = client((_, __, signal) =>
      new Response(streamOf([bytes.slice(0, 3)], signal, true))
    );
    const dest = join(dir, "a.txt");
    const controller = new AbortController();
    const progress: number[] = [];
    const pending = sp.downloadFile(file(), dest, {
      verifyHash: true,
      signal: controller.signal,
      onProgress: (n) => progress.push(n),
    }).catch((e) => e);
    await settle();
    assert.deepEqual(progress, [3]);
    controller.abort();
    const error = await pending;
    assert.ok(error instanceof AbortedError);
    assert.equal(await exists(dest), false);
  }));

Deno.test("listFiles() pages by nextLink, keeps files only and renews an expired token", async () => {
  let tokenCalls = 0;
  const clock = new SteppedClock();
  const page = (n: number, next?: string) =>
    json({
      value: [
        {
          id: `f${n}`,
          name: `f${n}.csv`,
          size: n,
          file: { hashes: { quickXorHash: "h" } },
          lastModifiedDateTime: "2026-01-01T00:00:00Z",
          createdDateTime: "2025-12-31T00:00:00Z",
          "@microsoft.graph.downloadUrl": `https://files.example/${n}`,
        },
        {
          id: `d${n}`,
          name: `dir${n}`,
          size: 100,
          folder: { childCount: 1 },
          lastModifiedDateTime: "2026-01-01T00:00:00Z",
        },
        { id: `p${n}`, name: `nb${n}`, package: { type: "oneNote" } },
      ],
      ...(next ? { "@odata.nextLink": next } : {}),
    });
  const { fetch, calls } = scriptedFetch(clock, (call) => {
    if (call.url.startsWith("https://login.example/")) {
      return json({ token_type: "Bearer", expires_in: 3600, access_token: `tok-${++tokenCalls}` });
    }
    if (call.url.includes("$skiptoken=2") && call.headers.get("authorization") === "Bearer tok-1") {
      return graphError(
        401,
        "InvalidAuthenticationToken",
        "Access token has expired or is not yet valid.",
      );
    }
    if (call.url.endsWith("/children?$top=1000")) {
      return page(
        1,
        "https://graph.example/v1.0/drives/b!d/items/i/children?$top=1000&$skiptoken=2",
      );
    }
    if (call.url.endsWith("$skiptoken=2")) {
      return page(
        2,
        "https://graph.example/v1.0/drives/b!d/items/i/children?$top=1000&$skiptoken=3",
      );
    }
    return page(3);
  });
  const sp = new GraphSharePointClient({ settings, fetch, clock, maxRetries: 0 });
  const folder = {
    siteId: "s",
    driveId: "b!d",
    driveName: "Documents",
    driveUrlSegment: "Shared Documents",
    itemId: "i",
    pathInDrive: "",
    webUrl: "",
  };
  const files = [];
  for await (const f of sp.listFiles(folder)) files.push(f);
  assert.deepEqual(files.map((f) => f.name), ["f1.csv", "f2.csv", "f3.csv"]);
  assert.deepEqual(files[0], {
    id: "f1",
    driveId: "b!d",
    name: "f1.csv",
    size: 1,
    lastModified: new Date("2026-01-01T00:00:00Z"),
    created: new Date("2025-12-31T00:00:00Z"),
    quickXorHash: "h",
    downloadUrl: "https://files.example/1",
    eTag: undefined,
    cTag: undefined,
  });
  assert.equal(tokenCalls, 2, "the token was renewed once");
  const graphCalls = calls.filter((c) => c.url.startsWith("https://graph.example/"));
  assert.deepEqual(graphCalls.map((c) => new URL(c.url).search), [
    "?$top=1000",
    "?$top=1000&$skiptoken=2",
    "?$top=1000&$skiptoken=2",
    "?$top=1000&$skiptoken=3",
  ]);
});

Deno.test("listFiles() refuses a nextLink to another origin", async () => {
  const clock = new SteppedClock();
  const { fetch } = scriptedFetch(
    clock,
    (call) =>
      call.url.startsWith("https://login.example/")
        ? json({ token_type: "Bearer", expires_in: 3600, access_token: "t" })
        : json({ value: [], "@odata.nextLink": "https://evil.example/steal" }),
  );
  const sp = new GraphSharePointClient({ settings, fetch, clock });
  const folder = {
    siteId: "s",
    driveId: "b!d",
    driveName: "",
    driveUrlSegment: "",
    itemId: "i",
    pathInDrive: "",
    webUrl: "",
  };
  const iterate = async () => {
    for await (const _ of sp.listFiles(folder)) { /* drain */ }
  };
  await assert.rejects(
    iterate(),
    /next page link points to another origin \(https:\/\/evil.example\)/,
  );
});
