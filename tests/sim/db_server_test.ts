import assert from "node:assert/strict";
import { parseRfc3339 } from "../../src/sim/db_server.ts";
import { startSimulator } from "../../src/sim/simulator.ts";
import { statusOf } from "./helpers.ts";

function query(base: string, since: string, until: string): string {
  return `${base}?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
}

Deno.test("parseRfc3339() accepts zoned timestamps and rejects the rest", () => {
  assert.equal(parseRfc3339("2026-01-02T03:04:05Z"), Date.UTC(2026, 0, 2, 3, 4, 5));
  assert.equal(parseRfc3339("2026-01-02T03:04:05.250+02:00"), Date.UTC(2026, 0, 2, 1, 4, 5, 250));
  for (
    const bad of [
      null,
      "",
      "2026-01-02",
      "2026-01-02T03:04:05",
      "yesterday",
      "2026-13-45T99:99:99Z",
    ]
  ) {
    assert.equal(parseRfc3339(bad), undefined, String(bad));
  }
});

Deno.test("DB service lists names ingested in [since, until)", async () => {
  await using sim = await startSimulator({
    ingested: [
      { name: "before.csv", at: new Date("2026-01-01T09:59:59Z") },
      { name: "at-since.csv", at: new Date("2026-01-01T10:00:00Z") },
      { name: "inside.csv", at: new Date("2026-01-01T11:30:00Z") },
      { name: "at-until.csv", at: new Date("2026-01-01T12:00:00Z") },
    ],
  });
  sim.markIngested("late.csv", new Date("2026-01-01T11:59:59.999Z"));
  const response = await fetch(
    query(sim.dbServiceUrl, "2026-01-01T10:00:00Z", "2026-01-01T12:00:00Z"),
  );
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^application\/json/);
  assert.deepEqual(await response.json(), {
    filenames: ["at-since.csv", "inside.csv", "late.csv"],
  });
  const empty = await fetch(
    query(sim.dbServiceUrl, "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"),
  );
  assert.deepEqual(await empty.json(), { filenames: [] });
});

Deno.test("DB service reads offsets and lists a name once even if ingested twice", async () => {
  await using sim = await startSimulator();
  sim.markIngested("a.csv", new Date("2026-01-01T10:00:00Z"));
  sim.markIngested("a.csv", new Date("2026-01-01T10:05:00Z"));
  const response = await fetch(
    query(sim.dbServiceUrl, "2026-01-01T11:00:00+02:00", "2026-01-01T13:00:00+02:00"),
  );
  assert.deepEqual(await response.json(), { filenames: ["a.csv"] });
});

Deno.test("DB service answers 400 for missing or malformed parameters", async () => {
  await using sim = await startSimulator();
  const cases = [
    sim.dbServiceUrl,
    `${sim.dbServiceUrl}?since=2026-01-01T00:00:00Z`,
    query(sim.dbServiceUrl, "2026-01-01", "2026-01-02T00:00:00Z"),
    query(sim.dbServiceUrl, "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"),
  ];
  for (const url of cases) {
    const response = await fetch(url);
    assert.equal(response.status, 400, url);
    assert.equal(typeof (await response.json()).error, "string");
  }
});

Deno.test("DB service requires the bearer token when one is configured", async () => {
  await using sim = await startSimulator({ dbToken: "db-secret" });
  const url = query(sim.dbServiceUrl, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
  const missing = await fetch(url);
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), "Bearer");
  await missing.body?.cancel();
  assert.equal(await statusOf(fetch(url, { headers: { authorization: "Bearer wrong" } })), 401);
  assert.equal(await statusOf(fetch(url, { headers: { authorization: "Bearer db-secret" } })), 200);
  assert.match(sim.settingsSnippet(), /db_service_token = "db-secret"/);
});

Deno.test("DB service answers 404 for other paths and 405 for other methods", async () => {
  await using sim = await startSimulator();
  const origin = new URL(sim.dbServiceUrl).origin;
  assert.equal(await statusOf(fetch(`${origin}/other`)), 404);
  assert.equal(await statusOf(fetch(sim.dbServiceUrl, { method: "POST", body: "{}" })), 405);
  const root = await fetch(query(`${origin}/`, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"));
  assert.deepEqual(await root.json(), { filenames: [] });
});
