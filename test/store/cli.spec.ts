// The `lifeline repo` command line end to end, through the compiled CLI in child processes.
import { chmod, copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lastLine, lifeline } from './cli-process.js';
import { MiB, sha256File, tempDir, writeImage } from './store-fixtures.js';

describe('lifeline repo (command line)', () => {
  let dir: { path: string; remove: () => Promise<void> };

  beforeAll(async () => {
    dir = await tempDir('cli');
  });
  afterAll(async () => {
    await dir.remove();
  }, 270_000);

  it('backs up two disks into an encrypted repository and restores them byte for byte; a delete before retain-until is refused and changes nothing', async () => {
    const repo = join(dir.path, 'enc');
    const pass = join(dir.path, 'pass.txt');
    await writeFile(pass, 'a long and secret passphrase\n', { mode: 0o600 });
    const d0 = join(dir.path, 'd0.img');
    const d1 = join(dir.path, 'd1.img');
    const sum0 = await writeImage(d0, 10 * MiB + 4096, (i) => (i % 3 === 0 ? { kind: 'zero' } : i % 3 === 1 ? { kind: 'text' } : { kind: 'random', seed: i }));
    const sum1 = await writeImage(d1, 6 * MiB, (i) => ({ kind: 'random', seed: 7 + i }));

    const init = await lifeline(['repo', 'init', '--repo', repo, '--encrypt', '--passphrase-file', pass]);
    expect(init.code).withContext(init.stderr).toBe(0);
    expect(init.stdout).toContain('encrypted repository');

    const ingest = await lifeline(['repo', 'ingest', '--repo', repo, '--passphrase-file', pass, '--vm', 'web-01', '--disk', d0, '--disk', d1, '--retain-days', '3']);
    expect(ingest.code).withContext(ingest.stderr).toBe(0);
    const id = lastLine(ingest.stdout);
    expect(id).toMatch(/^\d{8}-\d{6}-[0-9a-f]{8}$/);
    // No progress noise when stderr is not a terminal.
    expect(ingest.stderr).toBe('');

    // The passphrase can also come from the environment.
    const list = await lifeline(['repo', 'list', '--repo', repo, '--json'], { LIFELINE_PASSPHRASE: 'a long and secret passphrase' });
    expect(list.code).withContext(list.stderr).toBe(0);
    const points = JSON.parse(list.stdout) as Array<{ id: string; vmName: string; disks: Array<{ disk: number; capacity: number }> }>;
    expect(points.map((p) => [p.id, p.vmName, p.disks.map((d) => d.capacity)])).toEqual([[id, 'web-01', [10 * MiB + 4096, 6 * MiB]]]);

    for (const [disk, sum] of [[0, sum0], [1, sum1]] as const) {
      const out = join(dir.path, `restored-${disk}.img`);
      const r = await lifeline(['repo', 'restore', '--repo', repo, '--passphrase-file', pass, '--point', id, '--disk', String(disk), '--out', out]);
      expect(r.code).withContext(r.stderr).toBe(0);
      expect(await sha256File(out)).toBe(sum);
    }

    const del = await lifeline(['repo', 'delete', '--repo', repo, '--passphrase-file', pass, '--point', id]);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/retained until \d{4}-\d\d-\d\dT[\d:.]+Z; it can be deleted from then on \[retention-locked\]/);
    const again = join(dir.path, 'again.img');
    const r2 = await lifeline(['repo', 'restore', '--repo', repo, '--passphrase-file', pass, '--point', id, '--disk', '0', '--out', again]);
    expect(r2.code).withContext(r2.stderr).toBe(0);
    expect(await sha256File(again)).toBe(sum0);
    const verify = await lifeline(['repo', 'verify', '--repo', repo, '--passphrase-file', pass]);
    expect(verify.code).withContext(verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('no damage found');

    const stats = await lifeline(['repo', 'stats', '--repo', repo, '--passphrase-file', pass, '--json']);
    const s = JSON.parse(stats.stdout) as { logicalBytes: number; dataBytes: number; compressionRatio: number };
    expect(s.logicalBytes).toBe(16 * MiB + 4096);
    expect(s.compressionRatio).toBeGreaterThan(1);
  }, 270_000);

  it('says clearly when the passphrase is wrong or missing, and never prints it', async () => {
    const repo = join(dir.path, 'enc2');
    const pass = join(dir.path, 'pass2.txt');
    const wrong = join(dir.path, 'wrong.txt');
    await writeFile(pass, 'the right passphrase', { mode: 0o600 });
    await writeFile(wrong, 'not the right one', { mode: 0o600 });
    expect((await lifeline(['repo', 'init', '--repo', repo, '--encrypt', '--passphrase-file', pass])).code).toBe(0);
    const bad = await lifeline(['repo', 'list', '--repo', repo, '--passphrase-file', wrong]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('[wrong-passphrase]');
    expect(bad.stderr).not.toContain('not the right one');
    // A passphrase file its group or other users can read is refused, by name, before it is used.
    const exposed = join(dir.path, 'exposed.txt');
    await writeFile(exposed, 'the right passphrase', { mode: 0o644 });
    await chmod(exposed, 0o644);
    const open = await lifeline(['repo', 'list', '--repo', repo, '--passphrase-file', exposed]);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('[secret-file-exposed]');
    expect(open.stderr).toContain('chmod 600');
    const none = await lifeline(['repo', 'list', '--repo', repo]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('[passphrase-required]');

    // Export the key, change the passphrase; the old one stops working, the key file still opens it.
    const keyFile = join(dir.path, 'key.json');
    expect((await lifeline(['repo', 'key', 'export', '--repo', repo, '--passphrase-file', pass, '--out', keyFile])).code).toBe(0);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const fresh = join(dir.path, 'fresh.txt');
    await writeFile(fresh, 'a brand new passphrase', { mode: 0o600 });
    const pw = await lifeline(['repo', 'key', 'passwd', '--repo', repo, '--passphrase-file', pass, '--new-passphrase-file', fresh]);
    expect(pw.code).withContext(pw.stderr).toBe(0);
    expect((await lifeline(['repo', 'list', '--repo', repo, '--passphrase-file', pass])).stderr).toContain('[wrong-passphrase]');
    expect((await lifeline(['repo', 'list', '--repo', repo, '--passphrase-file', fresh])).code).toBe(0);
    expect((await lifeline(['repo', 'list', '--repo', repo, '--key-file', keyFile])).code).toBe(0);
    expect(await readFile(join(repo, 'catalog.db'), 'latin1')).not.toContain('brand new passphrase');
  }, 270_000);

  it('prunes with a dry run first, deletes an expired point, collects garbage and extends retention', async () => {
    const repo = join(dir.path, 'plain');
    const img = join(dir.path, 'p.img');
    expect((await lifeline(['repo', 'init', '--repo', repo])).code).toBe(0);
    await writeImage(img, 8 * MiB, (i) => ({ kind: 'random', seed: 40 + i }));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await lifeline(['repo', 'ingest', '--repo', repo, '--vm', 'db', '--disk', img, '--retain-days', i === 2 ? '5' : '0']);
      expect(r.code).withContext(r.stderr).toBe(0);
      ids.push(lastLine(r.stdout));
    }
    const dry = await lifeline(['repo', 'prune', '--repo', repo, '--keep-last', '1', '--dry-run']);
    expect(dry.code).withContext(dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: 2 restore points would be removed');
    expect(dry.stdout).toMatch(new RegExp(`keep\\s+${ids[2]}`));
    expect((await lifeline(['repo', 'list', '--repo', repo, '--json'])).stdout).toContain(ids[0] ?? 'x');

    const del = await lifeline(['repo', 'delete', '--repo', repo, '--point', ids[0] ?? '']);
    expect(del.code).withContext(del.stderr).toBe(0);
    const pr = await lifeline(['repo', 'prune', '--repo', repo, '--keep-last', '1']);
    expect(pr.code).withContext(pr.stderr).toBe(0);
    expect(pr.stdout).toContain('removed 1 restore points');
    const listed = JSON.parse((await lifeline(['repo', 'list', '--repo', repo, '--json'])).stdout) as Array<{ id: string }>;
    expect(listed.map((p) => p.id)).toEqual([ids[2] ?? '']);
    const gc = await lifeline(['repo', 'gc', '--repo', repo]);
    expect(gc.code).withContext(gc.stderr).toBe(0);
    expect(gc.stdout).toContain('marked 2 chunks referenced by 1 restore points');

    const shorter = await lifeline(['repo', 'retain', '--repo', repo, '--point', ids[2] ?? '', '--days', '1']);
    expect(shorter.code).toBe(1);
    expect(shorter.stderr).toContain('[retention-shorten-refused]');
    const longer = await lifeline(['repo', 'retain', '--repo', repo, '--point', ids[2] ?? '', '--days', '30']);
    expect(longer.code).withContext(longer.stderr).toBe(0);
    expect(longer.stdout).toContain('is retained until');
    const noRules = await lifeline(['repo', 'prune', '--repo', repo]);
    expect(noRules.code).toBe(1);
    expect(noRules.stderr).toContain('at least one keep rule');
  }, 270_000);

  it('puts restore points back into a lost or older catalog, and says so', async () => {
    const repo = join(dir.path, 'rebuild');
    const img = join(dir.path, 'r.img');
    expect((await lifeline(['repo', 'init', '--repo', repo])).code).toBe(0);
    const sum = await writeImage(img, 4 * MiB, (i) => ({ kind: 'random', seed: 60 + i }));
    const first = lastLine((await lifeline(['repo', 'ingest', '--repo', repo, '--vm', 'app', '--disk', img])).stdout);
    await copyFile(join(repo, 'catalog.db'), join(dir.path, 'older-catalog.db'));
    const second = lastLine((await lifeline(['repo', 'ingest', '--repo', repo, '--vm', 'app', '--disk', img])).stdout);

    // Lost: the next command finds a new catalog and puts both points back before it runs.
    await rm(join(repo, 'catalog.db'));
    const list = await lifeline(['repo', 'list', '--repo', repo, '--json']);
    expect(list.code).withContext(list.stderr).toBe(0);
    expect(list.stderr).toContain('the catalog was new: 2 restore points were put back into it from the repository');
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((p) => p.id).sort()).toEqual([first, second].sort());

    // Older: GC warns and keeps the point the catalog does not know; rebuild-catalog adds it.
    await copyFile(join(dir.path, 'older-catalog.db'), join(repo, 'catalog.db'));
    const gc = await lifeline(['repo', 'gc', '--repo', repo, '--grace-minutes', '0']);
    expect(gc.code).withContext(gc.stderr).toBe(0);
    expect(gc.stdout).toContain(`warning: 1 restore points are in the repository but not in its catalog (kept, with their chunks): ${second}`);
    const rebuild = await lifeline(['repo', 'rebuild-catalog', '--repo', repo]);
    expect(rebuild.code).withContext(rebuild.stderr).toBe(0);
    expect(rebuild.stdout).toContain('2 restore point manifests in the repository, 1 already in the catalog');
    expect(rebuild.stdout).toContain(`added 1 restore points: ${second}`);
    const out = join(dir.path, 'rebuilt.img');
    const r = await lifeline(['repo', 'restore', '--repo', repo, '--point', second, '--disk', '0', '--out', out]);
    expect(r.code).withContext(r.stderr).toBe(0);
    expect(await sha256File(out)).toBe(sum);
  }, 270_000);
});
