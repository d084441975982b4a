/**
 * Settings: schema, loading and the resolved `Settings` type (see `src/config/`).
 * @module
 */
export {
  defaultStagingDir,
  findSettingsFile,
  type LoadedJobs,
  type LoadedSettings,
  loadJobs,
  type LoadOptions,
  loadSettings,
  type ValueSource,
} from "./config/load.ts";
export { type RawSettings, SECRET_KEYS, SETTINGS_KEYS, settingsSchema } from "./config/schema.ts";
export type { ScheduleMode, Settings } from "./config/settings.ts";
export { envName } from "./config/env.ts";
