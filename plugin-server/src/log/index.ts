// Structured JSON-line logging with secret redaction.
// A leaf of the server's layers; how it fits with the rest: docs/architecture.md.
export { createLogger, silentLogger, redact } from './logger.js';
export type { Logger, LogLevel, LoggerOptions } from './logger.js';
