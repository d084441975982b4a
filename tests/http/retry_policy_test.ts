import assert from "node:assert/strict";
import {
  backoffDelayMs,
  classify,
  type FailedAttempt,
  parseRetryAfter,
  type RetryDecision,
  throttleDelayMs,
} from "../../src/http/retry_policy.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");

function attempt(fields: Partial<FailedAttempt>): FailedAttempt {
  return { authenticated: true, now: NOW, ...fields };
}

Deno.test("classify() maps each answer to what the caller must do", () => {
  const table: [string, FailedAttempt, RetryDecision][] = [
    [
      "429 with Retry-After",
      attempt({ status: 429, headers: new Headers({ "retry-after": "120" }) }),
      {
        kind: "retry-after",
        delayMs: 120_000,
      },
    ],
    [
      "503 with fractional Retry-After",
      attempt({ status: 503, headers: new Headers({ "retry-after": "2.128" }) }),
      { kind: "retry-after", delayMs: 2128 },
    ],
    ["429 without Retry-After", attempt({ status: 429, headers: new Headers() }), {
      kind: "backoff",
      throttled: true,
    }],
    ["503 without headers", attempt({ status: 503 }), { kind: "backoff", throttled: true }],
    ["509 bandwidth cap", attempt({ status: 509 }), { kind: "backoff", throttled: true }],
    ["500", attempt({ status: 500 }), { kind: "backoff", throttled: false }],
    ["502", attempt({ status: 502 }), { kind: "backoff", throttled: false }],
    ["504", attempt({ status: 504 }), { kind: "backoff", throttled: false }],
    ["network failure", attempt({ failure: "network" }), { kind: "backoff", throttled: false }],
    ["timeout", attempt({ failure: "timeout" }), { kind: "backoff", throttled: false }],
    ["abort", attempt({ failure: "aborted" }), { kind: "fatal" }],
    ["Graph 401 expired token", attempt({ status: 401, code: "InvalidAuthenticationToken" }), {
      kind: "refresh-token",
    }],
    [
      "401 from an unauthenticated request (download host)",
      attempt({ status: 401, code: "InvalidAuthenticationToken", authenticated: false }),
      { kind: "fatal" },
    ],
    ["401 with another code", attempt({ status: 401, code: "accessDenied" }), { kind: "fatal" }],
    ["403", attempt({ status: 403, code: "accessDenied" }), { kind: "fatal" }],
    ["404", attempt({ status: 404, code: "itemNotFound" }), { kind: "fatal" }],
    ["400", attempt({ status: 400, code: "invalidRequest" }), { kind: "fatal" }],
    ["507", attempt({ status: 507 }), { kind: "fatal" }],
  ];
  for (const [name, input, expected] of table) {
    assert.deepEqual(classify(input), expected, name);
  }
});

Deno.test("parseRetryAfter() reads integer, fractional and HTTP-date forms", () => {
  const table: [string | null | undefined, number | undefined][] = [
    ["120", 120_000],
    ["0", 0],
    ["2.128", 2128],
    ["0.05", 50],
    [" 7 ", 7000],
    ["Thu, 01 Jan 2026 00:00:30 GMT", 30_000],
    ["Wed, 31 Dec 2025 23:59:00 GMT", 0],
    ["", undefined],
    ["soon", undefined],
    ["-5", undefined],
    ["1e3", undefined],
    [null, undefined],
    [undefined, undefined],
  ];
  for (const [value, expected] of table) {
    assert.equal(parseRetryAfter(value, NOW), expected, `Retry-After: ${value}`);
  }
});

Deno.test("throttleDelayMs() takes the greater of Retry-After and RateLimit-Reset", () => {
  const table: [Record<string, string>, number | undefined][] = [
    [{ "retry-after": "31", "ratelimit-reset": "31" }, 31_000],
    [{ "retry-after": "5", "ratelimit-reset": "31" }, 31_000],
    [{ "retry-after": "40", "ratelimit-reset": "31" }, 40_000],
    [{ "ratelimit-reset": "12" }, 12_000],
    [{ "retry-after": "1.5" }, 1500],
    [{}, undefined],
  ];
  for (const [headers, expected] of table) {
    assert.equal(throttleDelayMs(new Headers(headers), NOW), expected, JSON.stringify(headers));
  }
});

Deno.test("backoffDelayMs() doubles per retry, applies jitter and stays under the cap", () => {
  const table: [number, number, number][] = [
    [0, 0, 500],
    [0, 0.999999, 1000],
    [1, 0, 1000],
    [2, 0.5, 3000],
    [3, 0, 4000],
    [10, 0, 15_000],
    [10, 0.999999, 30_000],
    [50, 0.5, 22_500],
  ];
  for (const [retry, random, expected] of table) {
    assert.equal(backoffDelayMs(retry, () => random), expected, `retry ${retry}, random ${random}`);
  }
  assert.equal(backoffDelayMs(2, () => 0, { baseMs: 10, maxMs: 25 }), 13);
});
