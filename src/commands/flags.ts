/**
 * Flag shapes shared by several commands. Imports nothing, so any command and the handler table can
 * use them without importing each other.
 * @module
 */

/** `--job NAME` (repeatable); empty: every job. */
export interface JobFlags {
  job?: string[];
}
