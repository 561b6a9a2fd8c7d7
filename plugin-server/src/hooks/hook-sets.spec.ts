import type { HookSet } from '../config/index.js';
import { noHooks } from './backup-hooks.js';
import { hookPhaseTimeoutMs, hooksOfSet } from './hook-sets.js';
import { ScriptHooks } from './script-hooks.js';

const script = (timeoutSeconds: number) => ({ command: '/usr/local/bin/freeze', args: [], timeoutSeconds });

describe('hook sets', () => {
  it('give a backup enough time for the slowest phase of any set to run every script to its own timeout', () => {
    const sets: HookSet[] = [
      { name: 'short', pre: [script(10)], post: [script(10)] },
      // Pre: 3 × 400 s, beyond the 5 minutes a hook phase gets by default.
      { name: 'long', pre: [script(400), script(400), script(400)], post: [script(30)] },
    ];
    const ms = hookPhaseTimeoutMs(sets);
    expect(ms).toBeGreaterThan(1200 * 1000);
    expect(ms).toBeLessThan(1200 * 1000 + 60_000);
    expect(hookPhaseTimeoutMs([])).toBeLessThan(60_000);
  });

  it('run as scripts on the server, or not at all for a set without scripts', () => {
    expect(hooksOfSet({ name: 'pg', pre: [script(5)], post: [] })).toBeInstanceOf(ScriptHooks);
    expect(hooksOfSet({ name: 'empty', pre: [], post: [] })).toBe(noHooks);
  });
});
