/**
 * Wire schema of `<lock_file>.info`, the holder information a run writes beside its lock. Read
 * only to name the holder in messages, so a malformed file means "holder unknown", never an error.
 * @module
 */
import { z } from "zod";

/** `<lock_file>.info`: `pid` and `started_at` are required, the rest is filled in when absent. */
export const lockInfoSchema = z.object({
  pid: z.number(),
  started_at: z.string(),
  hostname: z.unknown().optional().transform((v) =>
    v === undefined || v === null ? "unknown" : String(v)
  ),
  command: z.unknown().optional().transform((v) =>
    v === undefined || v === null ? "unknown" : String(v)
  ),
});
