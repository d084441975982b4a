/** The tool's version, sent in the `User-Agent` and printed by `ingest --version`. */
export const VERSION = "0.1.0";

/** `User-Agent` for every outgoing request; Microsoft asks for a decorated agent to attribute throttling. */
export const USER_AGENT = `NONISV|ingest|ingest/${VERSION}`;
