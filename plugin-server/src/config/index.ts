// Lifeline's typed server configuration: defaults, lifeline.json, LIFELINE_* variables and flags,
// validated in one place so that a mistake is reported with the setting that holds it.
// A leaf of the server's layers; how it fits with the rest: docs/architecture.md.
export {
  buildConfig,
  ConfigError,
  CONFIG_ENV_VARS,
  CONFIG_FILE_NAME,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_JOB_LIMITS,
  DEFAULT_MAINTENANCE,
  formatDailyTime,
  DEFAULT_PORT,
  DEFAULT_SITE_PORT,
  SITE_NAME,
  HOOK_SET_NAME,
  HOOK_SET_MAX_SCRIPTS,
  HOOK_SCRIPT_TIMEOUT_DEFAULT_SECONDS,
  HOOK_SCRIPT_TIMEOUT_MAX_SECONDS,
  HOOK_SCRIPT_TIMEOUT_MIN_SECONDS,
} from './config.js';
export type { Config, ConfigFlags, ConfigInput, DailyTime, HookScript, HookSet, JobLimitsConfig, MaintenanceConfig, NfsConfig, SiteConfig, VcenterConfig } from './config.js';
export { checkHookCommands } from './hook-commands.js';
export { loadConfig } from './load-config.js';
export type { LoadConfigOptions } from './load-config.js';
