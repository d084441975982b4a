/**
 * Wire shapes of the DB service answer (see docs/db-service.md). Unknown fields are tolerated.
 * @module
 */
import { z } from "zod";

/** `{"filenames": ["a.csv", …]}`: the documented object form (other fields are ignored). */
export const filenamesObjectSchema = z.object({ filenames: z.array(z.string()) });

/** `["a.csv", …]`: the bare-array form. */
export const filenamesArraySchema = z.array(z.string());

/** Either answer shape of `GET <db_service_url>?since=…&until=…`. */
export const ingestedAnswerSchema = z.union([filenamesObjectSchema, filenamesArraySchema]);

/** The answer as the service sent it. */
export type IngestedAnswer = z.infer<typeof ingestedAnswerSchema>;

/** The file names of a parsed JSON answer, or `undefined` when the answer is outside the contract. */
export function filenamesOf(body: unknown): string[] | undefined {
  const parsed = ingestedAnswerSchema.safeParse(body);
  return parsed.success ? namesIn(parsed.data) : undefined;
}

/** The file names of an answer of either shape. */
export function namesIn(answer: IngestedAnswer): string[] {
  return Array.isArray(answer) ? answer : answer.filenames;
}
