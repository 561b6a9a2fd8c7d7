// Hooks around a backup's snapshot: the interface the backup pipeline calls before and after the
// snapshot (pre-freeze and post-thaw work such as flushing a database), with per-hook timeouts,
// and its first implementation, scripts run on the Lifeline server, grouped in named hook sets
// that the server's configuration declares and policies choose. The in-guest agent will be a
// second implementation of the same interface.
// An use case of the server's layers; how it fits with the rest: docs/architecture.md.
export { HookError, noHooks, runHookWithTimeout } from './backup-hooks.js';
export type { BackupHooks, HookErrorCode, HookReport, HookTarget, PostSnapshotOutcome } from './backup-hooks.js';
export { ScriptHooks, runHookScript } from './script-hooks.js';
export type { ScriptHooksConfig } from './script-hooks.js';
export { HookSetMissingError, hookPhaseTimeoutMs, hooksOfSet, runPostScripts, scriptSpecOf } from './hook-sets.js';
