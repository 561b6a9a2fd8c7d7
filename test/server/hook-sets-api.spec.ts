// Pre/post snapshot scripts as an administrator configures them: hook sets declared in the
// server's lifeline.json, chosen by name in a policy over the real HTTPS API, run around the
// snapshot of a "back up now" job against the vCenter simulator on a real encrypted store. The
// scripts are real executables that write the environment they were given to files, so the test
// reads what a real script would see.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpsReply } from './https-client.js';
import { expectProblem, startVcenterServer, type VcenterServer } from './vcenter-server-fixture.js';
import { lifelineSnapshots, MiB } from '../protection/backup-fixture.js';

/** Writes its LIFELINE_* variables to `<dir>/<hook>.env` (dir is its first argument). */
const RECORD_SCRIPT = `#!/bin/sh
env | grep '^LIFELINE_' | sort > "$1/$LIFELINE_HOOK.env"
echo "recorded $LIFELINE_HOOK"
`;
const FAIL_SCRIPT = `#!/bin/sh
echo "checking the database" >&2
echo "database main is not ready to freeze" >&2
exit 3
`;

describe('hook sets over HTTPS', () => {
  let fx: VcenterServer;
  let admin: string;
  let hooksDir: string;
  let okOut: string;
  let failOut: string;

  const urn = (i: number) => fx.urn(i);
  const vmPath = (i: number) => `/vms/${encodeURIComponent(urn(i))}`;
  const call = (method: string, path: string, body?: unknown): Promise<HttpsReply> => fx.call(admin, method, path, body);
  const policy = (name: string, hookSet: string | null) => ({ name, rpoSeconds: 3600, retention: { keepLast: 4 }, hookSet });
  const hookSets = (dir: string) => ({
    postgres: {
      pre: [{ command: join(dir, 'record.sh'), args: [join(dir, 'ok')], timeoutSeconds: 60 }],
      post: [{ command: join(dir, 'record.sh'), args: [join(dir, 'ok')] }],
    },
    broken: {
      pre: [{ command: join(dir, 'fail.sh'), timeoutSeconds: 60 }],
      post: [{ command: join(dir, 'record.sh'), args: [join(dir, 'failed')] }],
    },
  });
  /** Expects 202 with a job and waits for it to end; returns the ended job with its log. */
  const backupNow = async (i: number): Promise<{ job: Record<string, unknown>; log: string }> => {
    const reply = await call('POST', `${vmPath(i)}/backup`);
    expect(reply.status).withContext(reply.text).toBe(202);
    const id = (reply.json()['job'] as { id: string }).id;
    for (let n = 0; n < 3000; n++) {
      const job = (await call('GET', `/jobs/${id}`)).json();
      if (!['queued', 'running'].includes(String(job['state']))) {
        const tail = (job['log'] as { tail: Array<{ level: string; message: string }> }).tail;
        return { job, log: tail.map((l) => `${l.level}: ${l.message}`).join('\n') };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${id} did not end`);
  };
  /** The LIFELINE_* variables a script recorded, or null when it did not run. */
  const recorded = async (dir: string, hook: string): Promise<Record<string, string> | null> => {
    let text: string;
    try {
      text = await readFile(join(dir, `${hook}.env`), 'utf8');
    } catch {
      return null;
    }
    return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  const snapshotsOf = async (i: number): Promise<number> => {
    const vc = await fx.backup.vcenter(fx.vc.instanceUuid, new AbortController().signal);
    return (await vc.snapshotTree(fx.moref(i))).roots.length;
  };
  const assign = async (i: number, policyId: string): Promise<void> => {
    const r = await call('PUT', `${vmPath(i)}/protection`, { policyId });
    expect([200, 201]).withContext(r.text).toContain(r.status);
  };

  beforeAll(async () => {
    fx = await startVcenterServer({
      sim: { vms: 2, disks: 1, diskSize: 8 * MiB },
      dataDirPrefix: 'lifeline-hook-sets-',
      backup: { passphrase: 'hook sets passphrase' },
      prepare: async (_vc, dataDir) => {
        hooksDir = join(dataDir, 'hooks');
        okOut = join(hooksDir, 'ok');
        failOut = join(hooksDir, 'failed');
        await mkdir(okOut, { recursive: true });
        await mkdir(failOut, { recursive: true });
        await writeFile(join(hooksDir, 'record.sh'), RECORD_SCRIPT);
        await writeFile(join(hooksDir, 'fail.sh'), FAIL_SCRIPT);
        await chmod(join(hooksDir, 'record.sh'), 0o755);
        await chmod(join(hooksDir, 'fail.sh'), 0o755);
      },
      file: (_vc, dataDir) => ({ hookSets: hookSets(join(dataDir, 'hooks')) }),
    });
    admin = await fx.login();
  }, 360_000);

  afterAll(async () => {
    await fx?.stop();
  }, 180_000);

  it('lists the configured set names, and never their commands', async () => {
    const r = await call('GET', '/hook-sets');
    expect(r.status).withContext(r.text).toBe(200);
    expect(r.json()['items']).toEqual([{ name: 'broken' }, { name: 'postgres' }]);
    expect(r.text).not.toContain('.sh');
  });

  it('refuses a policy naming a set the server does not configure, with a 400 naming hookSet, saving nothing', async () => {
    const before = (await call('GET', '/policies')).json()['total'];
    const refused = expectProblem(await call('POST', '/policies', policy('Unknown set', 'mysql')), 400, 'validation');
    expect(refused['errors']).toEqual([{ field: 'hookSet', message: jasmine.stringMatching(/hookSet "mysql" is not a hook set.*broken, postgres/) }]);
    expect((await call('GET', '/policies')).json()['total']).toBe(before);

    const created = await call('POST', '/policies', policy('Patched set', null));
    expect(created.status).withContext(created.text).toBe(201);
    expect(created.json()['hookSet']).toBeNull();
    const id = String(created.json()['id']);
    const patch = expectProblem(await call('PATCH', `/policies/${id}`, { hookSet: 'mysql' }), 400, 'validation');
    expect((patch['errors'] as Array<{ field: string }>).map((e) => e.field)).toEqual(['hookSet']);
    const patched = await call('PATCH', `/policies/${id}`, { hookSet: 'postgres' });
    expect(patched.status).withContext(patched.text).toBe(200);
    expect((await call('GET', `/policies/${id}`)).json()['hookSet']).toBe('postgres');
    expect((await call('DELETE', `/policies/${id}`)).status).toBe(204);
  });

  it('runs the policy’s scripts around the snapshot of a back-up-now job, and the job log names each', async () => {
    const created = await call('POST', '/policies', policy('Postgres', 'postgres'));
    expect(created.status).withContext(created.text).toBe(201);
    await assign(0, String(created.json()['id']));

    const { job, log } = await backupNow(0);
    expect(job['state']).withContext(`${JSON.stringify(job['error'])}\n${log}`).toBe('succeeded');

    const pre = await recorded(okOut, 'pre-snapshot');
    expect(pre).toEqual(jasmine.objectContaining({
      LIFELINE_HOOK: 'pre-snapshot',
      LIFELINE_VM: fx.moref(0),
      LIFELINE_VM_NAME: fx.vc.vms[0]?.name ?? '',
      LIFELINE_VCENTER: fx.vc.instanceUuid,
      LIFELINE_JOB_ID: String(job['id']),
      LIFELINE_CONSISTENCY: 'application',
    }));
    expect(pre?.['LIFELINE_SNAPSHOT_TAKEN']).toBeUndefined();
    const post = await recorded(okOut, 'post-snapshot');
    expect(post).toEqual(jasmine.objectContaining({ LIFELINE_HOOK: 'post-snapshot', LIFELINE_VM: fx.moref(0), LIFELINE_SNAPSHOT_TAKEN: 'true' }));

    const script = join(hooksDir, 'record.sh');
    expect(log).toContain('hook set postgres');
    expect(log).toMatch(new RegExp(`pre-snapshot script ${script} succeeded`));
    expect(log).toMatch(new RegExp(`post-snapshot script ${script} succeeded`));
    // The pre-snapshot script ran before the snapshot, the post-snapshot one after it.
    const lines = log.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/pre-snapshot script/)).toBeLessThan(at(/snapshot lifeline-\S+ \(.*\) taken/));
    expect(at(/snapshot lifeline-\S+ \(.*\) taken/)).toBeLessThan(at(/post-snapshot script/));
    expect(await snapshotsOf(0)).toBe(0);
  }, 360_000);

  it('fails the job with the script’s message when a pre-script fails, leaving no snapshot and thawing anyway', async () => {
    const created = await call('POST', '/policies', policy('Broken', 'broken'));
    expect(created.status).withContext(created.text).toBe(201);
    await assign(1, String(created.json()['id']));

    const { job, log } = await backupNow(1);
    expect(job['state']).withContext(log).toBe('failed');
    const error = job['error'] as { code: string; message: string };
    expect(error.code).toBe('backup-pre-hook-failed');
    expect(error.message).toContain(`${join(hooksDir, 'fail.sh')} exited with code 3`);
    expect(error.message).toContain('database main is not ready to freeze');
    expect(log).not.toMatch(/snapshot lifeline-\S+ \(.*\) taken/);
    expect(await snapshotsOf(1)).toBe(0);
    expect(await lifelineSnapshots(await fx.backup.vcenter(fx.vc.instanceUuid, new AbortController().signal), fx.moref(1))).toEqual([]);
    // The post-snapshot script still ran, told that no snapshot exists.
    expect(await recorded(failOut, 'post-snapshot')).toEqual(jasmine.objectContaining({ LIFELINE_VM: fx.moref(1), LIFELINE_SNAPSHOT_TAKEN: 'false' }));
    expect(fx.backup.repository.listPoints().filter((p) => p.vmId.endsWith(`:${fx.moref(1)}`))).toEqual([]);
  }, 360_000);

  it('fails, naming the set and the policy, the backups of a policy whose set left the configuration', async () => {
    const created = await call('POST', '/policies', policy('Vanishing', 'postgres'));
    expect(created.status).withContext(created.text).toBe(201);
    await assign(0, String(created.json()['id']));
    await rm(join(okOut, 'pre-snapshot.env'), { force: true });
    const { postgres: _gone, ...rest } = hookSets(hooksDir);
    await fx.restart({ file: { hookSets: rest } });
    try {
      admin = await fx.login();
      expect((await call('GET', '/hook-sets')).json()['items']).toEqual([{ name: 'broken' }]);
      const { job, log } = await backupNow(0);
      expect(job['state']).withContext(log).toBe('failed');
      const error = job['error'] as { code: string; message: string };
      expect(error.code).toBe('hook-set-missing');
      expect(error.message).toContain('hook set "postgres"');
      expect(error.message).toContain('policy "Vanishing"');
      expect(await recorded(okOut, 'pre-snapshot')).toBeNull();
      expect(await snapshotsOf(0)).toBe(0);
    } finally {
      await fx.restart({ file: { hookSets: hookSets(hooksDir) } });
      admin = await fx.login();
    }
  }, 360_000);
});
