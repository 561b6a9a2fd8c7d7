// Lifeline's typed server configuration: defaults, lifeline.json, LIFELINE_* variables and flags,
// validated in one place so that a mistake is reported with the setting that holds it.
export {
  buildConfig,
  normaliseThumbprint,
  ConfigError,
  CONFIG_ENV_VARS,
  CONFIG_FILE_NAME,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
} from './config.js';
export type { Config, ConfigFlags, ConfigInput, VcenterConfig } from './config.js';
export { loadConfig } from './load-config.js';
export type { LoadConfigOptions } from './load-config.js';
