/**
 * The Deno permissions the `ingest` binary runs with.
 * @module
 */

/**
 * Permission flags baked into every compiled binary; the single source for the compile script and
 * the documentation (docs/architecture.md quotes them verbatim, a test keeps the two equal).
 *
 * - `--allow-net` has no host list: the Graph, login and DB service hosts come from the
 *   settings (`graph_base_url`, `authority_host`, `db_service_url`, national clouds), the
 *   pre-authenticated download URLs point at tenant hosts Graph picks, and the demo serves the
 *   simulator on loopback. A list fixed at build time would break all of these.
 * - `--allow-read`/`--allow-write` have no path list: `ingestion_dir`, `staging_dir`, the lock,
 *   log and metrics files are chosen in the settings at run time.
 * - `--allow-env`: `INGEST_<KEY>` overrides, `INGEST_CONFIG`, and NO_COLOR/FORCE_COLOR read by
 *   the CLI library.
 * - `--allow-sys=hostname,uid,gid`: the host name identifies who holds the run lock; the user and
 *   group ids tell, before anything is downloaded, whether `ingestion_dir` can take files (POSIX
 *   permission bits); nothing else of the system is read.
 * - `--no-prompt`: a scheduled task has no one to answer a prompt; fail instead.
 */
export const RUNTIME_PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=hostname,uid,gid",
  "--no-prompt",
];

/**
 * V8 flags of the binary (bench/README.md has the figures):
 * - `--max-semi-space-size=2`: a small young generation makes V8 collect the short-lived chunks
 *   of a streamed download promptly (a 1 GiB download peaked at about 160 MB RSS with V8's
 *   default, 89–92 MB with 1 or 2 MiB). 2 rather than 1 MiB lets most of a listing page's parsed
 *   items die young instead of being promoted: 100,000 items listed with 10–20% less CPU.
 * - `--heap-growing-percent=25`: after each full collection the old generation may grow by a
 *   quarter of what is live before the next one, instead of V8's default of up to 4× for a
 *   process that allocates fast. A listing leaves its pages behind as garbage; with the default
 *   a 100,000-item first enumeration peaked at 85 MB of heap (16–22 MB live) and 207 MB RSS,
 *   with this flag at 36–45 MB of heap and 110–123 MB RSS. It is a growth rate, not a limit: a
 *   library whose live state is larger still fits.
 */
export const RUNTIME_V8_FLAGS: readonly string[] = [
  "--v8-flags=--max-semi-space-size=2,--heap-growing-percent=25",
];
