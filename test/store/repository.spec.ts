import { blake3 } from '@noble/hashes/blake3';
import { createHash, createHmac } from 'node:crypto';
import { readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { initRepository, Repository, DAY_MS } from '../../plugin-server/src/store/repository.js';
import { restoreDisk } from '../../plugin-server/src/store/engine/restore.js';
import { sealDocument } from '../../plugin-server/src/store/sealed-document.js';
import { isStoreError } from '../../plugin-server/src/store/store-error.js';
import { digestHex } from '../../plugin-server/src/store/chunks/digest.js';
import { FAST_SCRYPT, ingestImage, MiB, restoredSha, restoreImage, TestClock, never, patchFile, pseudoRandom, sha256File, tempDir, writeImage, type Region } from './store-fixtures.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isStoreError(err) ? err.code : `other: ${String(err)}`;
  }
}

/** 0: zeros, 1-2: random, 3: text, 4: same as 1 (a repeat), 5: zeros... over 4 MiB chunks. */
const pattern = (i: number): Region => {
  const c = Math.floor(i / 4) % 6;
  if (c === 0 || c === 5) return { kind: 'zero' };
  if (c === 3) return { kind: 'text' };
  if (c === 4) return { kind: 'random', seed: 1000 + (i % 4) };
  return { kind: 'random', seed: c === 1 ? 1000 + (i % 4) : i };
};

describe('repository: ingest and restore', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let clock: TestClock;

  beforeEach(async () => {
    dir = await tempDir('repo');
    clock = new TestClock();
  });
  afterEach(async () => {
    await dir.remove();
  });

  // Encrypted repositories made before keyed BLAKE3 name chunks by HMAC-SHA256, and keep doing so.
  for (const [encrypt, chunkId] of [[false, undefined], [true, undefined], [true, 'hmac-sha256']] as const) {
    it(`restores byte for byte, stores zero chunks never and equal chunks once (${encrypt ? 'encrypted' : 'unencrypted'}${chunkId ? `, ${chunkId} ids` : ''})`, async () => {
      const repoDir = join(dir.path, 'repo');
      const config = await initRepository(repoDir, { encrypt, passphrase: encrypt ? 'correct horse' : undefined, scrypt: FAST_SCRYPT, clock, chunkId }, never);
      expect(config.chunkId).toBe(chunkId ?? (encrypt ? 'blake3-keyed' : 'sha256'));
      const image = join(dir.path, 'disk.img');
      const size = 24 * MiB + 12345; // a short last chunk
      const sum = await writeImage(image, size, pattern);
      const repo = await Repository.open(repoDir, { passphrase: 'correct horse', clock, codecThreads: 2 }, never);
      try {
        const { point, result } = await ingestImage(repo, 'vm-a', image);
        // Chunks: 0 zero, 1 random A, 2 random B, 3 text, 4 = chunk 1 again, 5 zero, 6 short last = zero.
        expect(result.zeroChunks).toBe(3);
        expect(result.newChunks).toBe(3);
        expect(result.existingChunks).toBe(1);
        expect(point.logicalBytes).toBe(size);
        const chunkFiles = (await readdir(join(repoDir, 'chunks'), { recursive: true })).filter((n) => /[0-9a-f]{64}$/.test(n));
        expect(chunkFiles.length).toBe(3);
        // Each chunk is named by its algorithm's digest of its plaintext, computed here independently.
        const bytes = await readFile(image);
        const idKey = repo.keys.idKey ?? new Uint8Array(0);
        const idOf = (c: Uint8Array) =>
          !encrypt ? createHash('sha256').update(c).digest('hex')
          : chunkId === 'hmac-sha256' ? createHmac('sha256', idKey).update(c).digest('hex')
          : Buffer.from(blake3(c, { key: Uint8Array.from(idKey) })).toString('hex'); // noble zeroes the key it is given
        const expectedIds = new Set([1, 2, 3].map((k) => idOf(bytes.subarray(k * 4 * MiB, (k + 1) * 4 * MiB))));
        expect(new Set(chunkFiles.map((f) => f.slice(-64)))).toEqual(expectedIds);
        const out = join(dir.path, 'restored.img');
        await restoreImage(repo, point.id, out);
        expect((await stat(out)).size).toBe(size);
        expect(await sha256File(out)).toBe(sum);

        // Chunk files are read-only; in an encrypted repository they do not hold the text.
        const textChunk = chunkFiles.map((f) => join(repoDir, 'chunks', f));
        for (const f of textChunk) expect((await stat(f)).mode & 0o777).toBe(0o444);
        if (encrypt) {
          for (const f of textChunk) expect((await readFile(f)).includes('quick brown fox')).toBe(false);
        }
      } finally {
        await repo.close();
      }
    });
  }

  it('ingests incrementally: only slots overlapping changed areas are read, both points restore', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: false, clock }, never);
    const image = join(dir.path, 'disk.img');
    const sum1 = await writeImage(image, 32 * MiB, (i) => ({ kind: 'random', seed: i }));
    const repo = await Repository.open(repoDir, { clock }, never);
    try {
      const first = await ingestImage(repo, 'vm-a', image);
      expect(first.result.slotsRead).toBe(8);
      // Change 10 bytes in slot 2 and 1 byte at the very end (slot 7).
      await patchFile(image, 2 * 4 * MiB + 100, pseudoRandom(99, 10));
      await patchFile(image, 32 * MiB - 1, Uint8Array.of(7));
      const sum2 = await sha256File(image);
      clock.advance(60_000);
      const second = await ingestImage(repo, 'vm-a', image, {
        changed: { since: first.point.id, areas: [{ start: 2 * 4 * MiB + 100, length: 10 }, { start: 32 * MiB - 1, length: 1 }] },
      });
      expect(second.result.incremental).toBe(true);
      expect(second.result.slotsRead).toBe(2);
      expect(second.result.newChunks).toBe(2);
      expect(second.point.parentId).toBe(first.point.id);
      await restoreImage(repo, second.point.id, join(dir.path, 'r2.img'));
      await restoreImage(repo, first.point.id, join(dir.path, 'r1.img'));
      expect(await sha256File(join(dir.path, 'r2.img'))).toBe(sum2);
      expect(await sha256File(join(dir.path, 'r1.img'))).toBe(sum1);

      // A full re-read of an unchanged image recognises every chunk from the base's index.
      clock.advance(60_000);
      const third = await ingestImage(repo, 'vm-a', image);
      expect(third.result.unchangedChunks).toBe(8);
      expect(third.result.newChunks).toBe(0);
      expect(repo.latestPoint('vm-a')?.id).toBe(third.point.id);
    } finally {
      await repo.close();
    }
  });

  it('reports a corrupt chunk by id and never returns its bytes', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: true, passphrase: 'correct horse', scrypt: FAST_SCRYPT, clock }, never);
    const image = join(dir.path, 'disk.img');
    await writeImage(image, 8 * MiB, (i) => ({ kind: 'random', seed: i }));
    const repo = await Repository.open(repoDir, { passphrase: 'correct horse', clock }, never);
    try {
      const { point } = await ingestImage(repo, 'vm-a', image);
      const index = await repo.openIndex(point.id, 0, never);
      const victim = digestHex(index.digest(1));
      const file = join(repoDir, 'chunks', victim.slice(0, 2), victim);
      await chmod(file, 0o644);
      const bytes = await readFile(file);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 1;
      await writeFile(file, bytes);
      const writes: number[] = [];
      let err: unknown;
      try {
        await restoreDisk({
          index,
          source: repo.chunks(),
          writer: { write: async (offset) => { writes.push(offset); } },
          signal: never,
          zeroSlots: 'skip',
        });
      } catch (e) {
        err = e;
      }
      expect(isStoreError(err, 'chunk-corrupt')).toBe(true);
      expect(String((err as Error).message)).toContain(victim);
      expect(writes).toEqual([0]);
    } finally {
      await repo.close();
    }
  });

  it('opens a repository whose config predates chunkId with HMAC-SHA256 ids, and refuses an algorithm it does not know', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: true, passphrase: 'correct horse', scrypt: FAST_SCRYPT, clock, chunkId: 'hmac-sha256' }, never);
    const image = join(dir.path, 'disk.img');
    const sum = await writeImage(image, 12 * MiB, pattern);
    const configFile = join(repoDir, 'config');
    /** Rewrites the sealed config as Lifeline would have written it with `edit` applied. */
    const rewriteConfig = async (repo: Repository, edit: (c: Record<string, unknown>) => void) => {
      const config: Record<string, unknown> = { ...repo.config };
      edit(config);
      await chmod(configFile, 0o644);
      await writeFile(configFile, sealDocument(config, repo.keys.macKey, undefined));
    };
    let repo = await Repository.open(repoDir, { passphrase: 'correct horse', clock }, never);
    let pointId = '';
    try {
      pointId = (await ingestImage(repo, 'vm-a', image)).point.id;
      await rewriteConfig(repo, (c) => delete c['chunkId']);
    } finally {
      await repo.close();
    }
    repo = await Repository.open(repoDir, { passphrase: 'correct horse', clock }, never);
    try {
      expect(repo.config.chunkId).toBeUndefined();
      expect(await restoredSha(repo, pointId, join(dir.path, 'restored.img'))).toBe(sum);
      // The same data from another VM gets the same ids as before: nothing is stored again.
      const again = await ingestImage(repo, 'vm-b', image);
      expect(again.result.newChunks).toBe(0);
      expect(again.result.existingChunks).toBe(2);
      await rewriteConfig(repo, (c) => (c['chunkId'] = 'md5'));
    } finally {
      await repo.close();
    }
    const unknown = await Repository.open(repoDir, { passphrase: 'correct horse', clock }, never).then(
      () => 'opened',
      (err: unknown) => (isStoreError(err, 'unsupported-format') ? err.message : String(err)),
    );
    expect(unknown).toContain('md5');
  });

  it('tells a wrong or missing passphrase apart, changes the passphrase, and opens with an exported key', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: true, passphrase: 'first passphrase', scrypt: FAST_SCRYPT, clock }, never);
    expect(await codeOf(Repository.open(repoDir, { passphrase: 'not the passphrase', clock }, never))).toBe('wrong-passphrase');
    expect(await codeOf(Repository.open(repoDir, { clock }, never))).toBe('passphrase-required');
    const repo = await Repository.open(repoDir, { passphrase: 'first passphrase', clock }, never);
    const exported = repo.exportKey();
    await repo.changePassphrase('second passphrase', never);
    await repo.close();
    expect(await codeOf(Repository.open(repoDir, { passphrase: 'first passphrase', clock }, never))).toBe('wrong-passphrase');
    const again = await Repository.open(repoDir, { passphrase: 'second passphrase', clock }, never);
    await again.close();
    const byKey = await Repository.open(repoDir, { keyExport: exported, clock }, never);
    expect(byKey.id).toBe(exported.repositoryId);
    await byKey.close();
    // Key material reaches neither the catalog nor the key file in the clear.
    const catalogBytes = await readFile(join(repoDir, 'catalog.db'));
    expect(catalogBytes.includes(Buffer.from(exported.masterKey, 'base64'))).toBe(false);
    for (const f of await readdir(join(repoDir, 'keys'))) {
      expect((await readFile(join(repoDir, 'keys', f), 'utf8')).includes(exported.masterKey)).toBe(false);
    }
  });

  it('detects a tampered manifest', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: false, clock }, never);
    const image = join(dir.path, 'disk.img');
    await writeImage(image, 4 * MiB, (i) => ({ kind: 'random', seed: i }));
    const repo = await Repository.open(repoDir, { clock }, never);
    try {
      const { point } = await ingestImage(repo, 'vm-a', image);
      const m = await repo.readManifest(point.id, never);
      expect(m.vm.name).toBe('vm-a');
      const file = join(repoDir, 'points', point.id, 'manifest');
      await chmod(file, 0o644);
      await writeFile(file, (await readFile(file, 'utf8')).replace('"crash"', '"application"'));
      expect(await codeOf(repo.readManifest(point.id, never))).toBe('manifest-invalid');
    } finally {
      await repo.close();
    }
  });

  it('keeps a point until its retain-until, extends retention but never shortens it, and refuses to work on a clock set back', async () => {
    const repoDir = join(dir.path, 'repo');
    await initRepository(repoDir, { encrypt: false, clock }, never);
    const image = join(dir.path, 'disk.img');
    const sum = await writeImage(image, 8 * MiB, (i) => ({ kind: 'random', seed: i }));
    const repo = await Repository.open(repoDir, { clock }, never);
    try {
      const { point } = await ingestImage(repo, 'vm-a', image);
      expect(point.retainUntil).toBe(point.createdAt + 7 * DAY_MS);
      expect(await codeOf(repo.deletePoint(point.id, never))).toBe('retention-locked');
      // Not even by going around the catalog: the backend refuses to delete a locked object.
      expect(await codeOf(repo.backend.delete(`points/${point.id}/manifest`, never))).toBe('retention-locked');
      const index = await repo.openIndex(point.id, 0, never);
      const chunk = `chunks/${digestHex(index.digest(0)).slice(0, 2)}/${digestHex(index.digest(0))}`;
      expect(await codeOf(repo.backend.delete(chunk, never))).toBe('retention-locked');
      expect((await repo.backend.stat(chunk, never))?.retainUntil).toBeGreaterThanOrEqual(point.retainUntil);

      expect(await codeOf(repo.extendRetention(point.id, point.retainUntil - 1, 'shorter', never))).toBe('retention-shorten-refused');
      const extended = await repo.extendRetention(point.id, point.retainUntil + 3 * DAY_MS, 'legal hold', never);
      expect(extended.retainUntil).toBe(point.retainUntil + 3 * DAY_MS);
      expect((await repo.backend.stat(chunk, never))?.retainUntil).toBeGreaterThanOrEqual(extended.retainUntil);

      clock.advance(8 * DAY_MS);
      expect(await codeOf(repo.deletePoint(point.id, never))).toBe('retention-locked');
      await restoreImage(repo, point.id, join(dir.path, 'still.img'));
      expect(await sha256File(join(dir.path, 'still.img'))).toBe(sum);

      clock.advance(3 * DAY_MS);
      const forward = clock.t;
      await ingestImage(repo, 'vm-b', image); // records the time
      clock.t = forward - 3_600_000; // an hour back, past what the repository recorded
      const err = await codeOf(repo.deletePoint(point.id, never));
      expect(err).toBe('clock-went-backwards');
      clock.t = forward;
      await repo.deletePoint(point.id, never);
      expect(repo.listPoints({ vmId: 'vm-a' })).toEqual([]);
      expect(await repo.backend.stat(`points/${point.id}/manifest`, never)).toBeNull();
    } finally {
      await repo.close();
    }
  });
});
