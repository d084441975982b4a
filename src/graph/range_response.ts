/**
 * Reading a download answer's length headers: what a 200 or 206 promises (transfer integrity),
 * and how an answer to `Range: bytes=N-` continues a kept prefix ([CONTENT]: "If the range can't
 * be generated the Range header may be ignored and an HTTP 200 response would be returned with
 * the full contents").
 * @module
 */

/**
 * How an answer to `Range: bytes=offset-` continues the kept prefix: a 206 from `offset` on
 * (`continue`), a 200 with the whole file ("If the range can't be generated the Range header
 * may be ignored", [CONTENT]) (`full`), a 416 whose `Content-Range: bytes *\/N` says the kept
 * prefix is already the whole file (`complete`: killed between the last byte and the placement),
 * or anything else, such as another 416 or another range, which starts over with a plain request
 * (`restart`).
 */
export function continuesPrefix(
  response: Response,
  offset: number,
): "continue" | "full" | "complete" | "restart" {
  if (response.status === 200) return "full";
  if (response.status === 416) {
    const total = /^bytes \*\/(\d+)$/.exec(response.headers.get("content-range")?.trim() ?? "");
    return total !== null && Number(total[1]) === offset ? "complete" : "restart";
  }
  if (response.status !== 206) return "restart";
  const range = parseContentRange(response.headers.get("content-range"));
  return range?.start === offset ? "continue" : "restart";
}

/** `bytes start-end/total` of a 206 (total undefined for `*`), or undefined when unreadable. */
export function parseContentRange(
  header: string | null,
): { start: number; end: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (match === null) return undefined;
  const [start, end] = [Number(match[1]), Number(match[2])];
  const total = match[3] === "*" ? undefined : Number(match[3]);
  return end < start ? undefined : { start, end, total };
}

/**
 * What the answer promises: `length` bytes in this body and a file of `total` bytes, from
 * Content-Length (200) or Content-Range (206). Undefined when the answer does not say, or is
 * content-encoded (the decoded body is longer than Content-Length).
 */
export function announcedLength(
  response: Response,
): { length: number; total: number } | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") return undefined;
  const header = response.headers.get("content-length");
  const length = header === null || header.trim() === "" ? NaN : Number(header);
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (range === undefined || range.total === undefined) return undefined;
    const rangeLength = range.end - range.start + 1;
    if (Number.isSafeInteger(length) && length !== rangeLength) return undefined;
    return { length: rangeLength, total: range.total };
  }
  if (!Number.isSafeInteger(length) || length < 0) return undefined;
  return { length, total: length };
}
