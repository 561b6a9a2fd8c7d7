// The script runner of Lifeline's hook sets. The server (hooks/script-hooks.ts) runs with it the
// pre/post-snapshot scripts that make a backup application-consistent (database flush, service
// pause), on the Lifeline server, each with a hard timeout, so a hanging script can never keep a
// VM frozen or its snapshot open. Nothing of it is installed in guests.
export { runScript, runScriptOrThrow, ScriptError } from './script-runner.js';
export type { ScriptSpec, ScriptResult } from './script-runner.js';
