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
 * V8 flags of the binary. A 1 MiB young generation makes V8 collect the short-lived chunks of a
 * streamed download promptly: peak RSS of a 1 GiB download drops from about 160 MB to about
 * 105 MB at the same speed (bench/README.md).
 */
export const RUNTIME_V8_FLAGS: readonly string[] = ["--v8-flags=--max-semi-space-size=1"];
