// Lifeline's optional in-guest helper. It runs the pre/post scripts that make a backup
// application-consistent (database flush, service pause) with hard timeouts, so a hanging script can
// never keep a VM frozen or its snapshot open.
export { runScript, runScriptOrThrow, ScriptError } from './script-runner.js';
export type { ScriptSpec, ScriptResult } from './script-runner.js';
