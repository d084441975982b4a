/**
 * Wire shapes of the identity platform and Microsoft Graph, as zod schemas.
 *
 * Every schema is non-strict: servers add fields over time, so unknown fields are ignored
 * (stripped), and only the fields this tool reads are declared. No HTTP calls live here.
 * @module
 */
import { z } from "zod";
import { isPlainDriveItem } from "./plain_item.ts";

/** `expires_in` is a number on the v2.0 endpoint; older endpoints sent a numeric string. */
const seconds = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

/** Successful client-credentials answer of `/{tenant}/oauth2/v2.0/token`. */
export const tokenSuccessSchema = z.object({
  token_type: z.string(),
  expires_in: seconds,
  access_token: z.string().min(1),
});
export type TokenSuccess = z.infer<typeof tokenSuccessSchema>;

/**
 * Error answer of the token endpoint (400 or 401). `error_description` starts with
 * "AADSTSnnnnn: " and continues with "\r\nTrace ID: ..." lines.
 */
export const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  error_codes: z.array(z.number()).optional(),
  trace_id: z.string().optional(),
  correlation_id: z.string().optional(),
});
export type TokenError = z.infer<typeof tokenErrorSchema>;

/**
 * Any JSON object a managed identity endpoint answers (IMDS, App Service, Azure Arc): their
 * token and error fields differ and are read one by one, so only "an object" is checked here.
 */
export const identityAnswerSchema = z.record(z.string(), z.unknown());

/** Inner error; Graph spells it `innerError`, SharePoint `innererror`, and both may nest. */
export interface InnerError {
  code?: string;
  message?: string;
  "request-id"?: string;
  innerError?: InnerError;
  innererror?: InnerError;
}

const innerErrorSchema: z.ZodType<InnerError> = z.lazy(() =>
  z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    "request-id": z.string().optional(),
    innerError: innerErrorSchema.optional(),
    innererror: innerErrorSchema.optional(),
  })
);

/** Graph's error envelope: `{"error":{"code","message","innerError":{...}}}`. */
export const graphErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string().optional(),
    message: z.string().optional(),
    innerError: innerErrorSchema.optional(),
    innererror: innerErrorSchema.optional(),
  }),
});
export type GraphErrorEnvelope = z.infer<typeof graphErrorEnvelopeSchema>;

/** The most detailed inner code and the request id found in an envelope's inner errors. */
export function innerDetails(
  envelope: GraphErrorEnvelope,
): { innerCode: string | undefined; requestId: string | undefined } {
  let innerCode: string | undefined;
  let requestId: string | undefined;
  let inner = envelope.error.innerError ?? envelope.error.innererror;
  for (let depth = 0; inner && depth < 16; depth++) {
    innerCode = inner.code ?? innerCode;
    requestId = inner["request-id"] ?? requestId;
    inner = inner.innerError ?? inner.innererror;
  }
  return { innerCode, requestId };
}

/** A SharePoint site (`GET /sites/{host}:/{path}`). Ids look like "{host},{site-guid},{web-guid}". */
export const siteSchema = z.object({
  id: z.string().min(1),
  webUrl: z.string().optional(),
  displayName: z.string().optional(),
  name: z.string().optional(),
});
export type Site = z.infer<typeof siteSchema>;

/**
 * A drive (document library). `name` is the display title, possibly localized ("Dokumente");
 * the URL segment ("Shared Documents") is only in `webUrl`.
 */
export const driveSchema = z.object({
  id: z.string().min(1),
  name: z.string().default(""),
  webUrl: z.string(),
  driveType: z.string().optional(),
});
export type Drive = z.infer<typeof driveSchema>;

/** A page of `GET /sites/{id}/drives`. */
export const driveListSchema = z.object({
  value: z.array(driveSchema),
  "@odata.nextLink": z.string().optional(),
});
export type DriveList = z.infer<typeof driveListSchema>;

/**
 * A field an item may lack: absent or `null` both read as undefined, so one odd item is skipped
 * by the listing instead of failing its whole page (real-sharepoint-quirks.md §12).
 */
function absent<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((value) => value ?? undefined).optional();
}

/**
 * A driveItem. Files carry a `file` facet, folders a `folder` facet, and `package` items
 * (OneNote notebooks) neither; folders have no `cTag`, hashes or download URL.
 */
export const driveItemSchema = z.object({
  id: z.string().min(1),
  name: absent(z.string()),
  size: absent(z.number()),
  eTag: absent(z.string()),
  cTag: absent(z.string()),
  webUrl: z.string().optional(),
  createdDateTime: absent(z.string()),
  lastModifiedDateTime: absent(z.string()),
  file: z.object({
    mimeType: z.string().optional(),
    hashes: z.object({ quickXorHash: z.string().optional() }).optional(),
  }).optional(),
  folder: z.object({ childCount: z.number().optional() }).optional(),
  /** OneNote notebooks and similar: neither a plain file nor a folder. */
  package: z.object({ type: z.string().optional() }).optional(),
  /** Present on the drive root. */
  root: z.object({}).optional(),
  /** Delta tombstone: on business drives it comes without `name` and `cTag`. */
  deleted: z.object({ state: z.string().optional() }).optional(),
  parentReference: z.object({
    driveId: z.string().optional(),
    id: z.string().optional(),
    path: z.string().optional(),
  }).optional(),
  "@microsoft.graph.downloadUrl": z.string().optional(),
  /** Defender flagged the file (real-sharepoint-quirks.md §13); selected in delta. */
  malware: z.object({ description: absent(z.string()) }).optional(),
});
export type DriveItem = z.infer<typeof driveItemSchema>;

/**
 * A listed item: a driveItem, or what could be read of one that does not fit
 * {@link driveItemSchema} (a field of the wrong type), with `invalid` saying why. One such item
 * is skipped by the listing; it never makes its whole page unusable (real-sharepoint-quirks.md
 * §12).
 */
export type ListedItem = DriveItem & { invalid?: string };

const objectOf = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;

/** The id, name, facets and parent of an item that failed the schema, or undefined without id. */
function salvage(raw: unknown, error: z.ZodError): ListedItem | undefined {
  const item = objectOf(raw);
  if (typeof item?.id !== "string" || item.id === "") return undefined;
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : "the item";
  const parent = driveItemSchema.shape.parentReference.safeParse(item.parentReference);
  return {
    id: item.id,
    ...(typeof item.name === "string" ? { name: item.name } : {}),
    ...(objectOf(item.file) ? { file: {} } : {}),
    ...(objectOf(item.folder) ? { folder: {} } : {}),
    ...(objectOf(item.package) ? { package: {} } : {}),
    ...(objectOf(item.root) ? { root: {} } : {}),
    ...(objectOf(item.deleted) ? { deleted: {} } : {}),
    ...(parent.success && parent.data ? { parentReference: parent.data } : {}),
    invalid: `its field ${field} is not valid (${issue?.message ?? "invalid"})`,
  };
}

/**
 * The `value` of a listing page: items parsed one by one (see {@link ListedItem}); a plain item is
 * taken as it is (`plain_item.ts`), any other goes through {@link driveItemSchema}.
 */
const listedItems = z.array(z.unknown()).transform((items, context): ListedItem[] => {
  const out: ListedItem[] = [];
  for (const [index, raw] of items.entries()) {
    if (isPlainDriveItem(raw)) {
      out.push(raw as DriveItem);
      continue;
    }
    const parsed = driveItemSchema.safeParse(raw);
    const item = parsed.success ? parsed.data : salvage(raw, parsed.error);
    if (item === undefined) {
      context.addIssue({ code: "custom", message: "an item has no id", path: [index] });
      return z.NEVER;
    }
    out.push(item);
  }
  return out;
});

/** A page of children; `@odata.nextLink` is absent on the last page and must be used verbatim. */
export const childrenPageSchema = z.object({
  value: listedItems,
  "@odata.nextLink": z.string().optional(),
});
export type ChildrenPage = z.infer<typeof childrenPageSchema>;

/**
 * A page of `GET …/delta`: `@odata.nextLink` while the current set continues, then
 * `@odata.deltaLink` (opaque; stored whole) on the last page.
 */
export const deltaPageSchema = z.object({
  value: listedItems,
  "@odata.nextLink": z.string().optional(),
  "@odata.deltaLink": z.string().optional(),
});
export type DeltaPage = z.infer<typeof deltaPageSchema>;
