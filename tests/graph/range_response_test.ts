import assert from "node:assert/strict";
import {
  announcedLength,
  continuesPrefix,
  parseContentRange,
} from "../../src/graph/range_response.ts";

function answer(status: number, headers: Record<string, string>): Response {
  return new Response(status === 416 ? null : "", { status, headers });
}

Deno.test("parseContentRange() reads `bytes start-end/total`", () => {
  const cases: [string | null, ReturnType<typeof parseContentRange>][] = [
    ["bytes 0-9/100", { start: 0, end: 9, total: 100 }],
    ["bytes 90-99/*", { start: 90, end: 99, total: undefined }],
    ["bytes 9-0/100", undefined],
    ["bytes */100", undefined],
    ["items 0-9/100", undefined],
    [null, undefined],
  ];
  for (const [header, expected] of cases) assert.deepEqual(parseContentRange(header), expected);
});

Deno.test("announcedLength() takes Content-Length of a 200 and Content-Range of a 206", () => {
  const cases: [string, Response, ReturnType<typeof announcedLength>][] = [
    ["200", answer(200, { "content-length": "11" }), { length: 11, total: 11 }],
    ["200 without length", answer(200, {}), undefined],
    ["200 gzip", answer(200, { "content-length": "5", "content-encoding": "gzip" }), undefined],
    [
      "206",
      answer(206, { "content-length": "5", "content-range": "bytes 6-10/11" }),
      { length: 5, total: 11 },
    ],
    [
      "206 without length",
      answer(206, { "content-range": "bytes 6-10/11" }),
      { length: 5, total: 11 },
    ],
    [
      "206 length disagrees",
      answer(206, { "content-length": "4", "content-range": "bytes 6-10/11" }),
      undefined,
    ],
    ["206 unknown total", answer(206, { "content-range": "bytes 6-10/*" }), undefined],
  ];
  for (const [label, response, expected] of cases) {
    assert.deepEqual(announcedLength(response), expected, label);
  }
});

Deno.test("continuesPrefix() tells continue, full, complete and restart apart", () => {
  const cases: [string, Response, ReturnType<typeof continuesPrefix>][] = [
    ["206 from the offset", answer(206, { "content-range": "bytes 6-10/11" }), "continue"],
    ["206 elsewhere", answer(206, { "content-range": "bytes 0-10/11" }), "restart"],
    ["200: Range ignored", answer(200, {}), "full"],
    ["416, prefix is whole", answer(416, { "content-range": "bytes */6" }), "complete"],
    ["416, file shrank", answer(416, { "content-range": "bytes */4" }), "restart"],
    ["416 without total", answer(416, {}), "restart"],
  ];
  for (const [label, response, expected] of cases) {
    assert.equal(continuesPrefix(response, 6), expected, label);
  }
});
