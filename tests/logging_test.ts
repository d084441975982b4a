import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { closeLogging, redactingSink, setupLogging } from "../src/logging.ts";
import { redactText, redactUrl, redactValue } from "../src/redact.ts";
import { describeError } from "../src/errors.ts";

const REDACTION_CASES: [string, string, RegExp][] = [
  [
    "tempauth in a download URL",
    "https://x/_layouts/15/download.aspx?UniqueId=1&tempauth=eyJabc.def.ghi&ApiVersion=2.0",
    /tempauth=\*\*\*&ApiVersion=2\.0/,
  ],
  ["sig in a URL", "https://blob/x?sv=1&sig=abcDEF%2B123&se=2", /sig=\*\*\*&se=2/],
  ["bearer header", "Authorization: Bearer abc.def-ghi", /Bearer \*\*\*/],
  ["bare JWT", "token eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl here", /token \*\*\* here/],
  ["form secret", "client_id=a&client_secret=hunter2&scope=x", /client_secret=\*\*\*&scope=x/],
];

for (const [name, input, expected] of REDACTION_CASES) {
  Deno.test(`redactText() masks ${name}`, () => {
    const output = redactText(input);
    assert.match(output, expected);
  });
}

Deno.test("redactValue() masks secret keys at any depth and keeps the rest", () => {
  const value = redactValue({
    client_secret: "hunter2",
    nested: { db_service_token: "t0k", authorization: "Bearer x", count: 3 },
    list: ["ok", { password: "p" }],
    file: "a.csv",
  });
  assert.deepEqual(value, {
    client_secret: "***",
    nested: { db_service_token: "***", authorization: "***", count: 3 },
    list: ["ok", { password: "***" }],
    file: "a.csv",
  });
});

Deno.test("redactUrl() drops user info and masks query values except OData options", () => {
  assert.equal(
    redactUrl("https://user:pw@host/p?tempauth=abc&x=1&$top=5#f"),
    "https://host/p?tempauth=***&x=***&$top=5",
  );
  assert.equal(redactUrl("https://user:pw@host/p?key=abc", { query: "drop" }), "https://host/p");
});

Deno.test("setupLogging() writes JSON lines off a TTY with structured properties and no secrets", async () => {
  const lines: string[] = [];
  await setupLogging({ level: "INFO", format: "auto", isTty: false, write: (t) => lines.push(t) });
  const log = getLogger(["ingest", "sync"]);
  log.debug("hidden at INFO");
  log.info("Downloading {url}", {
    url: "https://h/download.aspx?tempauth=SECRETSECRET&ApiVersion=2.0",
    run_id: "r1",
    client_secret: "hunter2",
  });
  await closeLogging();
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]!);
  assert.equal(record.level, "INFO");
  assert.equal(record.logger, "ingest.sync");
  assert.equal(record.properties.run_id, "r1");
  assert.equal(record.properties.client_secret, "***");
  assert.doesNotMatch(lines[0]!, /SECRETSECRET|hunter2/);
});

Deno.test("setupLogging() writes a rotating JSON file next to the console", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/ingest.jsonl`;
  await setupLogging({
    level: "DEBUG",
    format: "pretty",
    isTty: false,
    write: () => {},
    file: { path, maxBytes: 300, maxFiles: 2 },
  });
  const log = getLogger(["ingest", "scheduler"]);
  for (let i = 0; i < 10; i++) log.info("Tick {tick}", { tick: i });
  await closeLogging();
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.ok(files.includes("ingest.jsonl"));
  assert.ok(files.length >= 2 && files.length <= 3, `rotated files: ${files}`);
  const last = (await Deno.readTextFile(path)).trim().split("\n").at(-1)!;
  assert.equal(JSON.parse(last).properties.tick, 9);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("redactingSink() disposes like the sink it wraps, so closeLogging() closes the log file", async () => {
  let closed = 0;
  const sync = Object.assign(() => {}, { [Symbol.dispose]: () => void closed++ });
  const wrappedSync = redactingSink(sync) as Partial<Disposable>;
  wrappedSync[Symbol.dispose]?.();
  assert.equal(closed, 1);
  const later = Object.assign(() => {}, {
    [Symbol.asyncDispose]: () => Promise.resolve(void (closed += 10)),
  });
  await (redactingSink(later) as Partial<AsyncDisposable>)[Symbol.asyncDispose]?.();
  assert.equal(closed, 11);
  assert.equal(Symbol.dispose in redactingSink(() => {}), false);
});

Deno.test("describeError() joins the cause chain once, without fetch's generic wrapper", () => {
  const network = new TypeError("fetch failed", {
    cause: new Error("tcp connect error: Connection refused"),
  });
  const error = new Error("Cannot get token: cannot reach https://login", { cause: network });
  assert.equal(
    describeError(error),
    "Cannot get token: cannot reach https://login: tcp connect error: Connection refused",
  );
  assert.equal(describeError(new Error("same", { cause: new Error("same") })), "same");
});
