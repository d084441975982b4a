import assert from "node:assert/strict";
import { dbClientFromSettings, excerpt, HttpDbServiceClient } from "../../src/db/http_db_client.ts";
import { filenamesOf } from "../../src/db/wire_types.ts";
import type { Clock } from "../../src/clock.ts";
import { AbortedError, DbServiceError } from "../../src/errors.ts";

const WINDOW = {
  since: new Date("2026-03-01T10:00:00Z"),
  until: new Date("2026-03-01T12:00:00Z"),
};

interface Seen {
  url: URL;
  headers: Headers;
}

/** A loopback DB service answering every request with `answer`. */
async function withServer(
  answer: (request: Request) => Response | Promise<Response>,
  body: (base: string, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    seen.push({ url: new URL(request.url), headers: request.headers });
    return answer(request);
  });
  try {
    await body(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

function client(url: string, extra: { token?: string; timeoutMs?: number } = {}) {
  return new HttpDbServiceClient({ url, token: extra.token, timeoutMs: extra.timeoutMs ?? 5000 });
}

async function rejectsDb(promise: Promise<unknown>): Promise<DbServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DbServiceError, `expected DbServiceError, got ${error}`);
    return error;
  }
  assert.fail("expected DbServiceError");
}

Deno.test("listIngested() reads the {filenames} answer and sends since/until as RFC 3339 UTC", async () => {
  await withServer(
    () => Response.json({ filenames: ["a.csv", "b.csv"], total: 2 }),
    async (base, seen) => {
      const names = await client(`${base}/ingested`).listIngested(WINDOW);
      assert.deepEqual(names, ["a.csv", "b.csv"]);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]!.url.pathname, "/ingested");
      assert.equal(seen[0]!.url.searchParams.get("since"), "2026-03-01T10:00:00.000Z");
      assert.equal(seen[0]!.url.searchParams.get("until"), "2026-03-01T12:00:00.000Z");
    },
  );
});

Deno.test("listIngested() accepts a bare JSON array of names", async () => {
  await withServer(() => Response.json(["x.txt"]), async (base) => {
    assert.deepEqual(await client(base).listIngested(WINDOW), ["x.txt"]);
  });
});

Deno.test("listIngested() returns an empty list as a normal answer", async () => {
  await withServer(() => Response.json({ filenames: [] }), async (base) => {
    assert.deepEqual(await client(base).listIngested(WINDOW), []);
  });
  await withServer(() => Response.json([]), async (base) => {
    assert.deepEqual(await client(base).listIngested(WINDOW), []);
  });
});

Deno.test("listIngested() keeps the URL's own query parameters and replaces since/until", async () => {
  await withServer(() => Response.json([]), async (base, seen) => {
    await client(`${base}/api/ingested?source=sharepoint&since=old`).listIngested(WINDOW);
    const params = seen[0]!.url.searchParams;
    assert.equal(params.get("source"), "sharepoint");
    assert.deepEqual(params.getAll("since"), ["2026-03-01T10:00:00.000Z"]);
    assert.equal(params.get("until"), "2026-03-01T12:00:00.000Z");
  });
});

Deno.test("listIngested() sends the bearer token only when one is set", async () => {
  await withServer(() => Response.json([]), async (base, seen) => {
    await client(base, { token: "s3cret" }).listIngested(WINDOW);
    await client(base).listIngested(WINDOW);
    assert.equal(seen[0]!.headers.get("authorization"), "Bearer s3cret");
    assert.equal(seen[1]!.headers.get("authorization"), null);
    assert.match(seen[0]!.headers.get("user-agent") ?? "", /^NONISV\|ingest\|ingest\//);
  });
});

Deno.test("listIngested() turns a non-2xx answer into DbServiceError with status and excerpt", async () => {
  await withServer(() => new Response("database\nis down", { status: 500 }), async (base) => {
    const error = await rejectsDb(client(`${base}/ingested`).listIngested(WINDOW));
    assert.equal(error.status, 500);
    assert.equal(
      error.message,
      `Cannot query DB service ${base}/ingested: HTTP 500: database is down`,
    );
  });
});

Deno.test("listIngested() reports a 401 without echoing the token", async () => {
  await withServer(() => new Response("", { status: 401 }), async (base) => {
    const error = await rejectsDb(client(base, { token: "tok-123" }).listIngested(WINDOW));
    assert.equal(error.status, 401);
    assert.match(error.message, /HTTP 401$/);
    assert.ok(!error.message.includes("tok-123"));
  });
});

Deno.test("listIngested() rejects an HTML page with a short single-line excerpt", async () => {
  const html = `<!DOCTYPE html>\n<html><body>\n<h1>Login</h1>\n${
    "<p>filler</p>\n".repeat(100)
  }</body></html>`;
  await withServer(
    () => new Response(html, { headers: { "content-type": "text/html" } }),
    async (base) => {
      const error = await rejectsDb(client(base).listIngested(WINDOW));
      assert.equal(error.status, 200);
      assert.match(error.message, /the answer is not JSON: <!DOCTYPE html> <html><body> <h1>Login/);
      assert.ok(!error.message.includes("\n"));
      const tail = error.message.split("not JSON: ")[1]!;
      assert.ok(tail.length <= 200, `excerpt is ${tail.length} chars`);
    },
  );
});

Deno.test("listIngested() rejects bad JSON and JSON of another shape", async () => {
  await withServer(() => new Response("{filenames: [", { status: 200 }), async (base) => {
    const error = await rejectsDb(client(base).listIngested(WINDOW));
    assert.match(error.message, /the answer is not JSON: \{filenames: \[$/);
  });
  for (const body of [{ files: ["a"] }, [1, 2], { filenames: "a.csv" }, null, "a.csv"]) {
    await withServer(() => Response.json(body), async (base) => {
      const error = await rejectsDb(client(base).listIngested(WINDOW));
      assert.match(error.message, /neither \{"filenames": \[\.\.\.\]\} nor a list of names/);
    });
  }
});

Deno.test("listIngested() gives up after the timeout with DbServiceError", async () => {
  const { promise: released, resolve: release } = Promise.withResolvers<void>();
  await withServer(
    async () => {
      await released;
      return Response.json([]);
    },
    async (base) => {
      try {
        const started = performance.now();
        const error = await rejectsDb(client(base, { timeoutMs: 50 }).listIngested(WINDOW));
        assert.ok(performance.now() - started < 1500);
        assert.equal(error.status, undefined);
        assert.match(error.message, /no complete answer within 0\.05 s$/);
      } finally {
        release();
      }
    },
  );
});

Deno.test("listIngested() times out on the injected clock, not on a global timer", async () => {
  const timers: { ms: number; fire: () => void }[] = [];
  const clock: Clock = {
    now: () => 0,
    sleep: () => Promise.reject(new Error("the DB client does not sleep")),
    timer: (ms, fire) => {
      timers.push({ ms, fire });
      return () => {};
    },
  };
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
    });
  const db = new HttpDbServiceClient({
    url: "https://db.example/ingested",
    timeoutMs: 30_000,
    fetch: hanging,
    clock,
  });
  const pending = db.listIngested(WINDOW);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(timers.map((t) => t.ms), [30_000]);
  timers[0]!.fire();
  const error = await rejectsDb(pending);
  assert.equal(
    error.message,
    "Cannot query DB service https://db.example/ingested: no complete answer within 30 s",
  );
});

Deno.test("listIngested() reports a refused connection without the query string", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(),
  );
  const port = server.addr.port;
  await server.shutdown();
  const url = `http://127.0.0.1:${port}/ingested?api_key=hunter2`;
  const error = await rejectsDb(client(url).listIngested(WINDOW));
  assert.equal(error.status, undefined);
  assert.ok(
    error.message.startsWith(`Cannot query DB service http://127.0.0.1:${port}/ingested: `),
  );
  assert.ok(!error.message.includes("hunter2"), error.message);
  assert.ok(!error.message.includes("\n"));
});

Deno.test("listIngested() throws AbortedError when the caller aborts", async () => {
  const controller = new AbortController();
  const fakeFetch: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () =>
        reject(new DOMException("aborted", "AbortError")));
    });
  const db = new HttpDbServiceClient({
    url: "http://127.0.0.1:1/x",
    timeoutMs: 5000,
    fetch: fakeFetch,
  });
  const pending = db.listIngested(WINDOW, controller.signal);
  controller.abort();
  await assert.rejects(pending, AbortedError);
});

Deno.test("dbClientFromSettings() uses the settings' URL, token and timeout over the injected fetch", async () => {
  const requests: Request[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    requests.push(new Request(input, init));
    return Promise.resolve(Response.json({ filenames: ["z.csv"] }));
  };
  const db = dbClientFromSettings(
    { db_service_url: "https://db.example/ingested", db_service_token: "t", db_timeout_seconds: 3 },
    { fetch: fakeFetch },
  );
  assert.deepEqual(await db.listIngested(WINDOW), ["z.csv"]);
  assert.equal(requests[0]!.headers.get("authorization"), "Bearer t");
  assert.equal(
    requests[0]!.url,
    "https://db.example/ingested?since=2026-03-01T10%3A00%3A00.000Z&until=2026-03-01T12%3A00%3A00.000Z",
  );
});

Deno.test("filenamesOf() accepts both answer shapes and ignores unknown fields", () => {
  assert.deepEqual(filenamesOf({ filenames: ["a"], next: null }), ["a"]);
  assert.deepEqual(filenamesOf(["a", "b"]), ["a", "b"]);
  assert.equal(filenamesOf({ filenames: [1] }), undefined);
  assert.equal(filenamesOf(undefined), undefined);
});

Deno.test("excerpt() flattens to one line and caps at 200 characters", () => {
  assert.equal(excerpt("a\r\n\tb\u0000c"), "a b c");
  const long = excerpt("x".repeat(500));
  assert.equal(long.length, 200);
  assert.ok(long.endsWith("…"));
});
