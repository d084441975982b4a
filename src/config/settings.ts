/**
 * The resolved settings object every component receives.
 * @module
 */
import type { AuthMethod, ManagedIdentitySource } from "./auth_settings.ts";
import type { RawSettings } from "./schema.ts";

/** Which schedule drives `ingest run`, decided once from the settings. */
export type ScheduleMode =
  | { kind: "interval"; minutes: number }
  | { kind: "daily"; times: string[] }
  | { kind: "cron"; expression: string };

/**
 * Validated settings with every path absolute and every derived default filled in.
 * `client_secret` is loaded from `client_secret_file` when that is used.
 */
export type Settings =
  & Omit<RawSettings, "staging_dir" | "lock_file">
  & {
    staging_dir: string;
    lock_file: string;
    /** The schedule chosen from interval/daily times/cron. */
    schedule: ScheduleMode;
    /** The settings file that was loaded, if any. */
    config_path: string | undefined;
    /** The job key; `default` when the settings file defines a single job. */
    job: string;
    /** The job's state file (see `src/state/job_state.ts`), in `staging_dir`. */
    state_file: string;
    /** First line of `proxy_password_file`; never printed or logged. */
    proxy_password?: string;
    /** The PEM certificates of `ca_file`, one block each. */
    ca_certificates?: string[];
    /**
     * How the Graph token is obtained: `auth`, or inferred from the credential keys at load
     * (always set by `loadSettings`; see `src/config/auth_settings.ts`).
     */
    auth?: AuthMethod;
    /** Where each credential value came from, by key, e.g. `client_id: "env AZURE_CLIENT_ID"`. */
    auth_origins?: Record<string, string>;
    /** The managed identity endpoint found in the environment (`auth = "managed_identity"`). */
    managed_identity_source?: ManagedIdentitySource;
    /** Content of `client_certificate_password_file`; never printed or logged. */
    client_certificate_password?: string;
  };
