import assert from "node:assert/strict";
import { quickXorHash } from "../../src/graph/quickxorhash.ts";
import { FaultPlan } from "../../src/sim/faults.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import type { Simulator } from "../../src/sim/types.ts";
import { defaultDriveId, getToken, graphGet, graphJson, readBody, statusOf } from "./helpers.ts";

const SITE = "/sites/contoso.sharepoint.com:/sites/Finance";

async function fileItem(sim: Simulator, path: string) {
  const token = await getToken(sim);
  const driveId = await defaultDriveId(sim, token);
  const json = await graphJson(sim, `/drives/${driveId}/root:/${path}`, token);
  return {
    url: json["@microsoft.graph.downloadUrl"] as string,
    hash: (json.file as { hashes: { quickXorHash: string } }).hashes.quickXorHash,
    size: json.size as number,
  };
}

Deno.test("FaultPlan.pick() applies a rule `times` times, in order, to matching requests only", () => {
  const plan = new FaultPlan(1);
  plan.add({
    match: { server: "graph", path: "/children" },
    fault: { kind: "status", status: 503 },
    times: 2,
  });
  plan.add({ match: { file: "a.csv" }, fault: { kind: "corrupt" } });
  const children = {
    server: "graph" as const,
    path: "/v1.0/drives/x/root/children",
    file: undefined,
  };
  assert.equal(plan.pick({ ...children, server: "db" }), undefined);
  assert.equal(plan.pick(children)?.kind, "status");
  assert.equal(plan.pick(children)?.kind, "status");
  assert.equal(plan.pick(children), undefined);
  const download = { server: "download" as const, path: "/x", file: "a.csv" };
  assert.equal(plan.pick({ ...download, file: "b.csv" }), undefined);
  assert.equal(plan.pick(download)?.kind, "corrupt");
  assert.equal(plan.pick(download), undefined);
});

Deno.test("FaultPlan.pick() keeps token faults on Graph, URL faults on downloads, and supports RegExp paths", () => {
  const plan = new FaultPlan(1);
  plan.add({ match: {}, fault: { kind: "expire-token" }, times: Infinity });
  plan.add({ match: { path: /download\.aspx$/ }, fault: { kind: "expire-url" }, times: Infinity });
  assert.equal(
    plan.pick({ server: "download", path: "/s/_layouts/15/download.aspx", file: undefined })?.kind,
    "expire-url",
  );
  assert.equal(
    plan.pick({ server: "graph", path: "/v1.0/sites", file: undefined })?.kind,
    "expire-token",
  );
  assert.equal(plan.pick({ server: "db", path: "/ingested", file: undefined }), undefined);
});

Deno.test("FaultPlan.pick() with a probability is reproducible for a given seed", () => {
  const run = (seed: number) => {
    const plan = new FaultPlan(seed);
    plan.add({ match: {}, fault: { kind: "reset" }, probability: 0.3 });
    return Array.from(
      { length: 200 },
      () => plan.pick({ server: "graph", path: "/", file: undefined }) ? 1 : 0,
    );
  };
  const first = run(42);
  assert.deepEqual(run(42), first);
  const hits = first.reduce<number>((a, b) => a + b, 0);
  assert.ok(hits > 30 && hits < 90, `${hits} of 200 requests faulted at p=0.3`);
});

Deno.test("status fault answers 429 with Retry-After and the activityLimitReached envelope", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  sim.addFault({
    match: { server: "graph" },
    fault: { kind: "status", status: 429, retryAfter: "2.128" },
  });
  const throttled = await graphGet(sim, SITE, token);
  const body = await throttled.json();
  assert.equal(throttled.status, 429);
  assert.equal(throttled.headers.get("retry-after"), "2.128");
  assert.equal(body.error.code, "activityLimitReached");
  assert.equal(body.error.message, "The request has been throttled");
  assert.equal(body.error.innerError["request-id"], throttled.headers.get("request-id"));
  assert.equal(await statusOf(graphGet(sim, SITE, token)), 200, "the rule applied once");
  const log = sim.requestLog.filter((e) => e.server === "graph");
  assert.deepEqual(log.map((e) => [e.status, e.fault]), [[429, "status"], [200, undefined]]);
});

Deno.test("status fault answers 503 serviceNotAvailable, custom codes and custom bodies", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  sim.addFault({ match: {}, fault: { kind: "status", status: 503, retryAfter: "1" } });
  sim.addFault({ match: {}, fault: { kind: "status", status: 500, code: "generalException" } });
  sim.addFault({
    match: {},
    fault: {
      kind: "status",
      status: 502,
      body: "<html>Bad gateway</html>",
      contentType: "text/html",
    },
  });
  const unavailable = await graphGet(sim, SITE, token);
  assert.equal(unavailable.status, 503);
  assert.equal((await unavailable.json()).error.code, "serviceNotAvailable");
  const general = await graphGet(sim, SITE, token);
  assert.equal((await general.json()).error.code, "generalException");
  const html = await graphGet(sim, SITE, token);
  assert.equal(html.status, 502);
  assert.equal(html.headers.get("content-type"), "text/html");
  assert.equal(await html.text(), "<html>Bad gateway</html>");
});

Deno.test("status fault on the login server answers with an Entra ID error body", async () => {
  await using sim = await startSimulator();
  sim.addFault({
    match: { server: "login" },
    fault: { kind: "status", status: 503, retryAfter: "3" },
  });
  const response = await fetch(`${sim.authorityHost}/${sim.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
  });
  const body = await response.json();
  assert.equal(response.status, 503);
  assert.equal(response.headers.get("retry-after"), "3");
  assert.equal(body.error, "temporarily_unavailable");
  assert.match(body.error_description, /^AADSTS\d+: /);
});

Deno.test("expire-token fault answers 401 and keeps that token expired until a new one is fetched", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  sim.addFault({ match: { server: "graph" }, fault: { kind: "expire-token" } });
  for (let i = 0; i < 2; i++) {
    const response = await graphGet(sim, SITE, token);
    assert.equal(response.status, 401);
    assert.equal((await response.json()).error.code, "InvalidAuthenticationToken");
  }
  assert.equal(await statusOf(graphGet(sim, SITE, await getToken(sim))), 200);
});

Deno.test("reset fault drops the connection before any body byte", async () => {
  await using sim = await startSimulator({ files: [{ path: "a.bin", size: 1000 }] });
  const { url } = await fileItem(sim, "a.bin");
  sim.addFault({ match: { server: "download" }, fault: { kind: "reset" } });
  const body = await readBody(await fetch(url));
  assert.ok(body instanceof TypeError, `expected a network error, got ${body}`);
  const entry = sim.requestLog.at(-1)!;
  assert.deepEqual([entry.status, entry.fault], [0, "reset"]);
  assert.equal(
    (await readBody(await fetch(url))).constructor,
    Uint8Array,
    "later requests succeed",
  );
});

Deno.test("reset fault breaks a Graph JSON answer too", async () => {
  await using sim = await startSimulator();
  const token = await getToken(sim);
  sim.addFault({ match: { server: "graph", path: "/sites/" }, fault: { kind: "reset" } });
  const error = await graphGet(sim, SITE, token).then((r) => r.json()).catch((e) => e);
  assert.ok(error instanceof TypeError);
});

Deno.test("truncate fault sends the first bytes and then breaks the body", async () => {
  await using sim = await startSimulator({ files: [{ path: "a.bin", size: 200_000 }] });
  const { url } = await fileItem(sim, "a.bin");
  sim.addFault({ match: { file: "a.bin" }, fault: { kind: "truncate", afterBytes: 70_000 } });
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-length"), "200000");
  let received = 0;
  const error = await (async () => {
    try {
      for await (const chunk of response.body!) received += chunk.length;
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof TypeError, "the body read fails");
  assert.equal(received, 70_000);
});

Deno.test("corrupt fault keeps the size but breaks the QuickXorHash", async () => {
  await using sim = await startSimulator({ files: [{ path: "a.bin", size: 5000 }] });
  const { url, hash, size } = await fileItem(sim, "a.bin");
  sim.addFault({ match: { server: "download", file: "a.bin" }, fault: { kind: "corrupt" } });
  const bad = new Uint8Array(await (await fetch(url)).arrayBuffer());
  assert.equal(bad.length, size);
  assert.notEqual(quickXorHash(bad), hash);
  const good = new Uint8Array(await (await fetch(url)).arrayBuffer());
  assert.equal(quickXorHash(good), hash);
  assert.equal(good.filter((byte, i) => byte !== bad[i]).length, 1, "exactly one byte differs");
});

Deno.test("slow fault delivers the body in small chunks with pauses (and a stall after the first)", async () => {
  await using sim = await startSimulator({ files: [{ path: "a.bin", size: 4000 }] });
  const { url } = await fileItem(sim, "a.bin");
  sim.addFault({
    match: { file: "a.bin" },
    fault: { kind: "slow", delayMs: 5, chunkBytes: 1000, stallMs: 40 },
  });
  const started = performance.now();
  const arrivals: number[] = [];
  let total = 0;
  for await (const chunk of (await fetch(url)).body!) {
    arrivals.push(performance.now() - started);
    total += chunk.length;
  }
  assert.equal(total, 4000);
  assert.ok(arrivals.length >= 2, "arrives in several chunks");
  assert.ok(arrivals.at(-1)! >= 40 + 3 * 5 - 2, `took ${arrivals.at(-1)} ms`);
});

Deno.test("slow fault lets an impatient client give up, and the simulator still closes", async () => {
  const sim = await startSimulator({ files: [{ path: "a.bin", size: 4000 }] });
  const { url } = await fileItem(sim, "a.bin");
  sim.addFault({
    match: { file: "a.bin" },
    fault: { kind: "slow", delayMs: 0, chunkBytes: 100, stallMs: 60_000 },
  });
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = response.body!.getReader();
  assert.equal((await reader.read()).value?.length, 100);
  controller.abort();
  await assert.rejects(reader.read());
  await sim.close();
});

Deno.test("expire-url fault answers the download origin's 403", async () => {
  await using sim = await startSimulator({ files: [{ path: "a.bin", size: 10 }] });
  const { url } = await fileItem(sim, "a.bin");
  sim.addFault({ match: { server: "download" }, fault: { kind: "expire-url" } });
  const response = await fetch(url);
  assert.equal(response.status, 403);
  assert.equal((await response.json()).error.code, "accessDenied");
  const again = await fetch(url);
  assert.equal(again.status, 200);
  await again.body?.cancel();
});

Deno.test("delay fault answers normally after the delay", async () => {
  await using sim = await startSimulator({ now: Date.now });
  const token = await getToken(sim);
  sim.addFault({ match: { server: "graph" }, fault: { kind: "delay", ms: 30 } });
  const started = performance.now();
  const response = await graphGet(sim, SITE, token);
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.ok(performance.now() - started >= 28);
  assert.equal(sim.requestLog.at(-1)!.fault, "delay");
});

Deno.test("faults on the DB service answer JSON with the status", async () => {
  await using sim = await startSimulator();
  sim.addFault({ match: { server: "db" }, fault: { kind: "status", status: 500 } });
  const response = await fetch(
    `${sim.dbServiceUrl}?since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z`,
  );
  assert.equal(response.status, 500);
  assert.ok((await response.json()).error);
  sim.clearFaults();
  sim.addFault({ match: { server: "db" }, fault: { kind: "status", status: 503 }, times: 0 });
  const ok = await fetch(
    `${sim.dbServiceUrl}?since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z`,
  );
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});
