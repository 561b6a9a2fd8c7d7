import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookError, type HookTarget } from './backup-hooks.js';
import { ScriptHooks } from './script-hooks.js';

const target: HookTarget = { jobId: 'job-1', vcenterGuid: '5a3c9f6e-1b2d-4e8f-9a0b-1c2d3e4f5a6b', moref: 'vm-1', name: 'db', consistency: 'application' };
const signal = new AbortController().signal;

describe('ScriptHooks: the command is checked again before each run', () => {
  let dir: string;
  let scripts: string;
  let command: string;
  let marker: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-hooks-'));
    scripts = join(dir, 'hooks');
    await mkdir(scripts, { mode: 0o755 });
    await chmod(scripts, 0o755);
    marker = join(dir, 'ran');
    command = join(scripts, 'freeze.sh');
    await writeFile(command, `#!/bin/sh\necho run >> ${marker}\n`, { mode: 0o755 });
    await chmod(command, 0o755);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const hooks = () => new ScriptHooks({ pre: [{ command, timeoutMs: 5000 }], post: [] });
  const runs = async () => (await readFile(marker, 'utf8').catch(() => '')).split('\n').filter((l) => l === 'run').length;

  it('runs a script only its owner may change, and refuses it once its group may write it', async () => {
    await hooks().preSnapshot(target, signal);
    expect(await runs()).toBe(1);
    await chmod(command, 0o775);
    await expectAsync(hooks().preSnapshot(target, signal)).toBeRejectedWith(jasmine.objectContaining({ code: 'hook-failed', message: jasmine.stringMatching(/not run: .*writable by its group/) }));
    expect(await runs()).toBe(1);
  });

  it('refuses a script in a directory others may write to', async () => {
    await chmod(scripts, 0o777);
    const refused = hooks().preSnapshot(target, signal);
    await expectAsync(refused).toBeRejectedWith(jasmine.any(HookError));
    await expectAsync(refused).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/directory .*hooks.* writable by every user/) }));
    expect(await runs()).toBe(0);
  });

  it('refuses a script owned by a user that is neither root nor the server', async () => {
    await chown(command, 65534, 65534);
    await expectAsync(hooks().preSnapshot(target, signal)).toBeRejectedWith(jasmine.objectContaining({ message: jasmine.stringMatching(/owned by user 65534/) }));
    expect(await runs()).toBe(0);
  });
});
