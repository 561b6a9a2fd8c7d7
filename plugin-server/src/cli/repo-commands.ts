/**
 * `lifeline repo ...`: the backup repository from the command line — create one, ingest disk
 * images as restore points, restore them (as raw images or stream-optimized VMDKs), and run
 * retention, GC and verification. Passphrases come from a file or the LIFELINE_PASSPHRASE
 * environment variable, never from the command line where other users could read them in the
 * process list. Long commands show progress on stderr
 * when it is a terminal; `ingest` ends with the new restore point's id alone on its last line.
 */
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { requirePrivateFile } from '../config/secret-file.js';
import { ValidationError } from '../errors/index.js';
import { normaliseThumbprint } from '../domain/index.js';
import { exportStreamOptimizedVmdk, FileSink, namingChunkSource, openPointDisk, writeFileAtomically } from '../export/index.js';
import {
  collectGarbage,
  DAY_MS,
  DEFAULT_RETAIN_DAYS,
  FileDiskReader,
  FileDiskWriter,
  initRepository,
  parseS3Url,
  PointWriter,
  prune,
  readS3Credentials,
  rebuildCatalog,
  Repository,
  repositoryStats,
  restoreDisk,
  verifyRepository,
  type KeepRules,
  type KeyExport,
  type OpenOptions,
  type S3Location,
} from '../store/index.js';

export const PASSPHRASE_ENV = 'LIFELINE_PASSPHRASE';
export const NEW_PASSPHRASE_ENV = 'LIFELINE_NEW_PASSPHRASE';

interface RepoFlags {
  repo: string;
  passphraseFile?: string;
  keyFile?: string;
}

async function readSecretFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`cannot read the ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  await requirePrivateFile(path, what);
  // Editors end files with a newline; it is not part of the passphrase.
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new ValidationError(`the ${what} file ${path} is empty`);
  return secret;
}

async function passphrase(flags: { passphraseFile?: string }, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (flags.passphraseFile !== undefined) return readSecretFile(flags.passphraseFile, 'passphrase');
  const fromEnv = env[PASSPHRASE_ENV];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
}

async function openRepo(flags: RepoFlags, signal: AbortSignal, open: Partial<OpenOptions> = {}): Promise<Repository> {
  let keyExport: KeyExport | undefined;
  if (flags.keyFile !== undefined) {
    try {
      keyExport = JSON.parse(await readSecretFile(flags.keyFile, 'key')) as KeyExport;
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      throw new ValidationError(`the key file ${flags.keyFile} is not a Lifeline key export`);
    }
  }
  return Repository.open(flags.repo, { ...open, passphrase: await passphrase(flags), keyExport }, signal);
}

/** Aborts on the first SIGINT or SIGTERM so a command stops cleanly instead of dying mid-write. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const stop = (sig: NodeJS.Signals) => ac.abort(new ValidationError(`interrupted by ${sig}`));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: ac.signal,
    dispose: () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    },
  };
}

async function withRepo<T>(flags: RepoFlags, fn: (repo: Repository, signal: AbortSignal) => Promise<T>, open: Partial<OpenOptions> = {}): Promise<T> {
  const { signal, dispose } = interruptSignal();
  try {
    const repo = await openRepo(flags, signal, open);
    const rebuilt = repo.rebuiltOnOpen;
    if (rebuilt) {
      process.stderr.write(`the catalog was new: ${rebuilt.added.length} restore points were put back into it from the repository\n`);
      for (const bad of rebuilt.invalid) process.stderr.write(`not put back: ${bad.key}: ${bad.detail}\n`);
    }
    try {
      return await fn(repo, signal);
    } finally {
      await repo.close();
    }
  } finally {
    dispose();
  }
}

/** A one-line progress display on stderr, only when stderr is a terminal, at most 5 updates a second. */
class Progress {
  private last = 0;
  private shown = false;
  private readonly started = performance.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string) {}

  update(done: number, total: number, unit: 'bytes' | 'items'): void {
    if (!this.tty) return;
    const t = performance.now();
    if (t - this.last < 200 && done < total) return;
    this.last = t;
    const secs = (t - this.started) / 1000;
    const pct = total > 0 ? ` ${((100 * done) / total).toFixed(0)}%` : '';
    const rate = unit === 'bytes' && secs > 0 ? `  ${(done / secs / 1e6).toFixed(0)} MB/s` : '';
    const amount = unit === 'bytes' ? `${mib(done)} / ${mib(total)}` : `${done}${total > 0 ? ` / ${total}` : ''}`;
    process.stderr.write(`\r\x1b[2K${this.label}${pct}  ${amount}${rate}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[2K');
    this.shown = false;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(bytes >= 2 ** 30 ? 0 : 1)} MiB`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function nonNegativeNumber(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new ValidationError(`${name} must be a number of 0 or more, not ${JSON.stringify(v)}`);
    return n;
  };
}

function count(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new ValidationError(`${name} must be a whole number, not ${JSON.stringify(v)}`);
    return n;
  };
}

function repoOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--repo <dir>', 'the repository directory')
    .option('--passphrase-file <file>', `file holding the passphrase of an encrypted repository (or set ${PASSPHRASE_ENV})`)
    .option('--key-file <file>', 'open with an exported master key instead of the passphrase');
}

interface InitS3Flags {
  backend?: string;
  s3Endpoint?: string;
  s3Region: string;
  s3VirtualHosted?: boolean;
  s3CaFile?: string;
  s3CertSha256?: string;
  s3CredentialsFile?: string;
  allowNoObjectLock?: boolean;
}

/** The S3 location the init flags name, or undefined without --backend; S3 flags without it are an error. */
async function s3LocationFromFlags(flags: InitS3Flags): Promise<S3Location | undefined> {
  if (flags.backend === undefined) {
    const stray = [flags.s3Endpoint && '--s3-endpoint', flags.s3CaFile && '--s3-ca-file', flags.s3CertSha256 && '--s3-cert-sha256', flags.s3CredentialsFile && '--s3-credentials-file', flags.allowNoObjectLock && '--allow-no-object-lock'].filter(Boolean);
    if (stray.length > 0) throw new ValidationError(`${stray.join(', ')} only go with --backend s3://<bucket>[/<prefix>]`);
    return undefined;
  }
  let parsed: { bucket: string; prefix: string };
  try {
    parsed = parseS3Url(flags.backend);
  } catch (err) {
    throw new ValidationError(`--backend: ${(err as Error).message}`);
  }
  if (flags.s3Endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(flags.s3Endpoint)) {
    throw new ValidationError(`--s3-endpoint must be http(s)://host[:port], not ${JSON.stringify(flags.s3Endpoint)}`);
  }
  if (flags.s3CredentialsFile !== undefined) {
    await requirePrivateFile(flags.s3CredentialsFile, 'S3 credentials');
    await readS3Credentials(flags.s3CredentialsFile);
  }
  if (flags.s3CaFile !== undefined) await readFile(flags.s3CaFile).catch(() => {
    throw new ValidationError(`cannot read the CA file ${flags.s3CaFile}`);
  });
  const certSha256 = flags.s3CertSha256 === undefined ? undefined : normaliseThumbprint(flags.s3CertSha256);
  if (certSha256 === null) throw new ValidationError(`--s3-cert-sha256 must be the SHA-256 thumbprint of the endpoint's certificate (64 hex digits, colons allowed), not ${JSON.stringify(flags.s3CertSha256)}`);
  if (certSha256 !== undefined && flags.s3CaFile !== undefined) throw new ValidationError('give either --s3-ca-file or --s3-cert-sha256, not both');
  return {
    ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint.replace(/\/$/, '') } : {}),
    region: flags.s3Region,
    bucket: parsed.bucket,
    prefix: parsed.prefix,
    forcePathStyle: flags.s3VirtualHosted !== true,
    ...(flags.s3CaFile ? { caFile: resolve(flags.s3CaFile) } : {}),
    ...(certSha256 ? { certSha256 } : {}),
    ...(flags.s3CredentialsFile ? { credentialsFile: resolve(flags.s3CredentialsFile) } : {}),
  };
}

export function registerRepoCommands(program: Command): void {
  const repo = program.command('repo').description('the backup repository: restore points, retention, verification');

  repoOptions(repo.command('init').description('create a repository in an empty directory (with --backend: its objects in an S3 bucket)'))
    .option('--encrypt', 'encrypt chunks and manifests with a key protected by a passphrase')
    .option('--backend <url>', 's3://<bucket>[/<prefix>]: keep the objects in this bucket (created with Object Lock if missing); the directory keeps the catalog')
    .option('--s3-endpoint <url>', 'the S3 endpoint, https://host:port (default: AWS for the region)')
    .option('--s3-region <region>', 'the S3 region', 'us-east-1')
    .option('--s3-virtual-hosted', 'address the bucket as a host name (bucket.host) instead of a path')
    .option('--s3-ca-file <file>', 'PEM file of the CA (or certificate) to trust for the endpoint')
    .option('--s3-cert-sha256 <thumbprint>', "trust the endpoint by its certificate's SHA-256 thumbprint (AA:BB:…) instead of a CA")
    .option('--s3-credentials-file <file>', 'JSON file {"accessKeyId","secretAccessKey"} readable by its owner only (default: the AWS environment/profile chain)')
    .option('--allow-no-object-lock', 'accept an existing bucket without Object Lock (restore points in it are then not immutable)')
    .action(async (flags: RepoFlags & InitS3Flags & { encrypt?: boolean }) => {
      const { signal, dispose } = interruptSignal();
      try {
        const pass = await passphrase(flags);
        const s3 = await s3LocationFromFlags(flags);
        const config = await initRepository(
          flags.repo,
          { encrypt: flags.encrypt === true, passphrase: pass, ...(s3 ? { s3, requireObjectLock: flags.allowNoObjectLock !== true } : {}) },
          signal,
        );
        out(`created ${config.encrypted ? 'an encrypted' : 'an unencrypted'} repository ${config.id} in ${flags.repo}${s3 ? `, its objects in s3://${s3.bucket}/${s3.prefix}` : ''}`);
        if (config.encrypted) out('keep the passphrase safe, and export the key (lifeline repo key export) to a safe place: without either the backups cannot be read');
      } finally {
        dispose();
      }
    });

  repoOptions(repo.command('ingest').description('back up disk images as a new restore point of a VM; prints its id last'))
    .requiredOption('--vm <name>', 'the VM the disks belong to')
    .option('--disk <file>', 'a disk image; repeat for several disks, numbered from 0 in order', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .addOption(new Option('--retain-days <n>', 'keep the point at least this many days (immutable until then)').default(DEFAULT_RETAIN_DAYS).argParser(nonNegativeNumber('--retain-days')))
    .addOption(new Option('--consistency <kind>', 'how consistent the images are').choices(['crash', 'application']).default('crash'))
    .action(async (flags: RepoFlags & { vm: string; disk: string[]; retainDays: number; consistency: 'crash' | 'application' }) => {
      if (flags.disk.length === 0) throw new ValidationError('give at least one --disk <file>');
      await withRepo(flags, async (r, signal) => {
        const createdAt = r.now();
        const writer = await PointWriter.begin(
          r,
          { vm: { id: flags.vm, name: flags.vm }, consistency: flags.consistency, createdAt, retainUntil: createdAt + flags.retainDays * DAY_MS },
          signal,
        );
        try {
          for (const [i, file] of flags.disk.entries()) {
            const reader = await FileDiskReader.open(file);
            const progress = new Progress(`disk ${i} (${basename(file)})`);
            const started = performance.now();
            try {
              const res = await writer.ingestDisk({ disk: i, capacity: reader.capacity, reader, label: basename(file) }, signal, (p) =>
                progress.update(p.bytesDone, p.bytesTotal, 'bytes'),
              );
              progress.done();
              const secs = (performance.now() - started) / 1000;
              out(
                `disk ${i}: ${basename(file)} ${mib(reader.capacity)} in ${secs.toFixed(1)} s (${(reader.capacity / secs / 1e6).toFixed(0)} MB/s): ` +
                  `${res.newChunks} new chunks (${mib(res.newStoredBytes)} stored), ${res.existingChunks + res.unchangedChunks} already stored, ${res.zeroChunks} zero`,
              );
            } finally {
              progress.done();
              await reader.close();
            }
          }
          const point = await writer.commit(signal);
          out(`restore point of ${flags.vm} retained until ${iso(point.retainUntil)}:`);
          out(point.id);
        } catch (err) {
          await writer.abort(new AbortController().signal);
          throw err;
        }
      });
    });

  repoOptions(repo.command('restore').description('write one disk of a restore point to a file: a raw image (sparse) or a stream-optimized VMDK'))
    .requiredOption('--point <id>', 'the restore point')
    .addOption(new Option('--disk <n>', 'the disk number, from 0').default(0).argParser(count('--disk')))
    .requiredOption('--out <file>', 'the file to create; it appears only once complete')
    .addOption(new Option('--format <format>', 'raw: the disk image, as sparse as the disk; vmdk: a stream-optimized VMDK').choices(['raw', 'vmdk']).default('raw'))
    .option('--overwrite', 'replace the file if it exists')
    .option('--sync', 'flush the file to stable storage before finishing')
    .action(async (flags: RepoFlags & { point: string; disk: number; out: string; format: 'raw' | 'vmdk'; overwrite?: boolean; sync?: boolean }) => {
      // Checked again when the file takes its name; this spares reading a disk for nothing.
      if (!flags.overwrite && (await access(flags.out).then(() => true, () => false))) {
        throw new ValidationError(`${flags.out} exists; give --overwrite to replace it`);
      }
      await withRepo(flags, async (r, signal) => {
        const disk = await openPointDisk(r, flags.point, flags.disk, signal);
        const progress = new Progress(`restoring disk ${flags.disk}`);
        const onProgress = (done: number, total: number) => progress.update(done, total, 'bytes');
        const output = { overwrite: flags.overwrite === true, sync: flags.sync === true };
        const started = performance.now();
        let written: string;
        try {
          if (flags.format === 'vmdk') {
            const stats = await writeFileAtomically(flags.out, output, (fh) =>
              exportStreamOptimizedVmdk(disk, new FileSink(fh), { fileName: basename(flags.out), signal, onProgress }),
            );
            written = `a stream-optimized VMDK of ${mib(stats.bytes)} (${stats.grains} grains)`;
          } else {
            // The restore engine, as restores to datastores use it: chunks fetched and verified in
            // parallel, each written once to every slot naming it, zeros left as holes.
            await writeFileAtomically(flags.out, { ...output, size: disk.capacity }, async (fh, temp) => {
              const writer = await FileDiskWriter.attach(fh, temp);
              try {
                await restoreDisk({ index: disk.index, source: namingChunkSource(disk), writer, signal, zeroSlots: 'skip', onProgress: (p) => onProgress(p.bytesDone, p.bytesTotal) });
              } finally {
                await writer.close(false);
              }
            });
            const { blocks } = await stat(flags.out);
            written = `a raw image taking ${mib(blocks * 512)} on disk (zeros left as holes)`;
          }
        } finally {
          progress.done();
        }
        const secs = (performance.now() - started) / 1000;
        out(`restored disk ${flags.disk} of ${flags.point} to ${flags.out}, ${written}: ${mib(disk.capacity)} in ${secs.toFixed(1)} s (${(disk.capacity / secs / 1e6).toFixed(0)} MB/s)`);
      });
    });

  repoOptions(repo.command('list').description('list restore points, newest first'))
    .option('--vm <name>', 'only this VM')
    .option('--json', 'print JSON')
    .action(async (flags: RepoFlags & { vm?: string; json?: boolean }) => {
      await withRepo(flags, async (r) => {
        const points = r.listPoints(flags.vm !== undefined ? { vmId: flags.vm } : {});
        if (flags.json) {
          const rows = points.map((p) => ({ ...p, createdAt: iso(p.createdAt), retainUntil: iso(p.retainUntil), disks: r.catalog.pointDisks(p.id).map(({ pointId: _p, ...d }) => d) }));
          out(JSON.stringify(rows, null, 2));
          return;
        }
        const now = r.now();
        out(
          table(
            ['ID', 'VM', 'CREATED', 'RETAIN UNTIL', 'CONSISTENCY', 'DISKS', 'SIZE', 'STATE'],
            points.map((p) => [
              p.id,
              p.vmName,
              iso(p.createdAt),
              iso(p.retainUntil) + (p.retainUntil > now ? ' (locked)' : ''),
              p.consistency,
              String(r.catalog.pointDisks(p.id).length),
              mib(p.logicalBytes),
              p.damaged ? 'DAMAGED' : 'ok',
            ]),
          ),
        );
      });
    });

  repoOptions(repo.command('verify').description('re-read, decrypt and re-hash chunks; report damage and the points it affects'))
    .addOption(new Option('--percent <p>', 'check a random share of the chunks').default(100).argParser(nonNegativeNumber('--percent')))
    .option('--json', 'print the report as JSON')
    .action(async (flags: RepoFlags & { percent: number; json?: boolean }) => {
      await withRepo(flags, async (r, signal) => {
        const progress = new Progress('verifying chunks');
        const report = await verifyRepository(r, { percent: flags.percent, signal, onProgress: (d, t) => progress.update(d, t, 'items') }).finally(() => progress.done());
        if (flags.json) out(JSON.stringify(report, null, 2));
        else {
          out(`checked ${report.chunksChecked} of ${report.chunksReferenced} chunks (${mib(report.bytesChecked)}) in ${report.points} restore points`);
          for (const p of report.problems) {
            const moved = p.quarantinedAs ? `; moved aside to ${p.quarantinedAs}` : '';
            out(`${p.problem} chunk ${p.digest}: ${p.detail}; affects ${p.points.join(', ') || 'no point'}${moved}`);
          }
          for (const p of report.pointProblems) out(`damaged restore point ${p.pointId}: ${p.detail}`);
          if (report.healedPoints.length > 0) out(`healed (whole again): ${report.healedPoints.join(', ')}`);
          out(report.damagedPoints.length === 0 ? 'no damage found' : `damaged restore points: ${report.damagedPoints.join(', ')}`);
          if (report.problems.length > 0) out('a later backup that meets the same data writes the damaged chunks anew (the next backup of an affected VM reads its disks in full); verify again afterwards');
        }
        if (report.damagedPoints.length > 0) process.exitCode = 1;
      });
    });

  repoOptions(repo.command('prune').description('remove restore points that no keep rule keeps (never one still retained)'))
    .addOption(new Option('--keep-last <n>', 'keep the n newest points').argParser(count('--keep-last')))
    .addOption(new Option('--keep-hourly <n>', 'keep the newest point of each of the last n hours').argParser(count('--keep-hourly')))
    .addOption(new Option('--keep-daily <n>', 'keep the newest point of each of the last n days').argParser(count('--keep-daily')))
    .addOption(new Option('--keep-weekly <n>', 'keep the newest point of each of the last n weeks').argParser(count('--keep-weekly')))
    .addOption(new Option('--keep-monthly <n>', 'keep the newest point of each of the last n months').argParser(count('--keep-monthly')))
    .addOption(new Option('--keep-yearly <n>', 'keep the newest point of each of the last n years').argParser(count('--keep-yearly')))
    .option('--vm <name>', 'only this VM')
    .option('--dry-run', 'print the plan and change nothing')
    .action(
      async (
        flags: RepoFlags & { keepLast?: number; keepHourly?: number; keepDaily?: number; keepWeekly?: number; keepMonthly?: number; keepYearly?: number; vm?: string; dryRun?: boolean },
      ) => {
        const rules: KeepRules = {
          last: flags.keepLast,
          hourly: flags.keepHourly,
          daily: flags.keepDaily,
          weekly: flags.keepWeekly,
          monthly: flags.keepMonthly,
          yearly: flags.keepYearly,
        };
        await withRepo(flags, async (r, signal) => {
          const result = await prune(r, rules, { dryRun: flags.dryRun === true, vmId: flags.vm, signal });
          out(
            table(
              ['ACTION', 'ID', 'VM', 'CREATED', 'WHY'],
              result.plan.map((d) => [d.mark, d.id, r.catalog.getPoint(d.id)?.vmName ?? d.vmId, iso(d.createdAt), d.reasons.join(', ')]),
            ),
          );
          const n = result.plan.filter((d) => d.mark === 'remove').length;
          out(result.dryRun ? `dry run: ${n} restore points would be removed` : `removed ${result.removed.length} restore points; run lifeline repo gc to reclaim their space`);
        });
      },
    );

  repoOptions(repo.command('gc').description('remove chunks no restore point references (mark and sweep)'))
    .addOption(new Option('--grace-minutes <m>', 'spare chunks touched this long before the oldest running backup').argParser(nonNegativeNumber('--grace-minutes')))
    .action(async (flags: RepoFlags & { graceMinutes?: number }) => {
      await withRepo(flags, async (r, signal) => {
        const progress = new Progress('garbage collection');
        const rep = await collectGarbage(r, {
          signal,
          graceMs: flags.graceMinutes !== undefined ? flags.graceMinutes * 60_000 : undefined,
          onProgress: (phase, d, t) => progress.update(d, t, 'items'),
        }).finally(() => progress.done());
        out(`marked ${rep.referencedChunks} chunks referenced by ${rep.points} restore points; saw ${rep.chunksSeen} chunks`);
        out(`removed ${rep.swept} chunks (${mib(rep.sweptBytes)}); kept ${rep.keptLocked} still locked and ${rep.keptRecent} newer than ${rep.cutoff}`);
        if (rep.quarantinedSwept > 0) out(`of those, ${rep.quarantinedSwept} were quarantined copies of corrupt chunks`);
        if (rep.orphanObjectsRemoved > 0) out(`removed ${rep.orphanObjectsRemoved} objects of unfinished restore points`);
        if (rep.pointsNotInCatalog.length > 0) {
          out(`warning: ${rep.pointsNotInCatalog.length} restore points are in the repository but not in its catalog (kept, with their chunks): ${rep.pointsNotInCatalog.slice(0, 5).join(', ')}${rep.pointsNotInCatalog.length > 5 ? ', …' : ''}; run lifeline repo rebuild-catalog`);
        }
      });
    });

  repoOptions(repo.command('rebuild-catalog').description("put back into the catalog the restore points the repository holds but it does not know (a lost or older catalog)"))
    .action(async (flags: RepoFlags) => {
      await withRepo(flags, async (r, signal) => {
        const rep = await rebuildCatalog(r, { signal });
        out(`${rep.manifests} restore point manifests in the repository, ${rep.known} already in the catalog`);
        out(`added ${rep.added.length} restore points${rep.added.length > 0 ? `: ${rep.added.join(', ')}` : ''}`);
        if (rep.damaged.length > 0) out(`marked damaged (an index is missing or does not match): ${rep.damaged.join(', ')}`);
        for (const bad of rep.invalid) out(`not added: ${bad.key}: ${bad.detail}`);
        if (rep.invalid.length > 0) process.exitCode = 1;
      }, { skipCatalogRebuild: true });
    });

  repoOptions(repo.command('stats').description('logical and stored size, deduplication and compression'))
    .option('--json', 'print JSON')
    .action(async (flags: RepoFlags & { json?: boolean }) => {
      await withRepo(flags, async (r, signal) => {
        const s = await repositoryStats(r, signal);
        if (flags.json) {
          out(JSON.stringify({ ...s, storage: await r.storage(signal) }, null, 2));
          return;
        }
        const storage = await r.storage(signal);
        if (storage.kind === 'directory') out(`storage:            directory ${storage.location}`);
        else out(`storage:            object storage ${storage.location} (no fixed capacity), Object Lock ${storage.lockMode === 'compliance' ? 'COMPLIANCE' : 'not enabled'}`);
        out(`restore points:     ${s.points} of ${s.vms} VMs`);
        out(`logical size:       ${mib(s.logicalBytes)} (${mib(s.dataBytes)} not zero)`);
        out(`unique data:        ${mib(s.uniqueBytes)} in ${s.uniqueChunks} chunks`);
        out(`stored size:        ${mib(s.storedBytes)}${s.unreferencedChunks > 0 ? ` (${s.unreferencedChunks} chunks await GC)` : ''}`);
        out(`deduplication:      ${s.dedupRatio.toFixed(2)}x`);
        out(`compression:        ${s.compressionRatio.toFixed(2)}x`);
        out(`overall:            ${(s.storedBytes > 0 ? s.logicalBytes / s.storedBytes : 1).toFixed(2)}x`);
      });
    });

  repoOptions(repo.command('delete').description('delete a restore point (refused before its retain-until)'))
    .requiredOption('--point <id>', 'the restore point')
    .action(async (flags: RepoFlags & { point: string }) => {
      await withRepo(flags, async (r, signal) => {
        await r.deletePoint(flags.point, signal);
        out(`deleted restore point ${flags.point}; run lifeline repo gc to reclaim its space`);
      });
    });

  repoOptions(repo.command('retain').description("extend a restore point's retention (it can never be shortened)"))
    .requiredOption('--point <id>', 'the restore point')
    .addOption(new Option('--days <n>', 'retain until n days from now').argParser(nonNegativeNumber('--days')))
    .option('--until <time>', 'retain until this ISO-8601 time')
    .action(async (flags: RepoFlags & { point: string; days?: number; until?: string }) => {
      if ((flags.days === undefined) === (flags.until === undefined)) throw new ValidationError('give either --days or --until');
      await withRepo(flags, async (r, signal) => {
        const until = flags.until !== undefined ? Date.parse(flags.until) : r.now() + (flags.days ?? 0) * DAY_MS;
        if (!Number.isFinite(until)) throw new ValidationError(`--until ${flags.until ?? ''} is not an ISO-8601 time`);
        const p = await r.extendRetention(flags.point, until, 'extended from the command line', signal);
        out(`restore point ${p.id} is retained until ${iso(p.retainUntil)}`);
      });
    });

  const key = repo.command('key').description('the master key: export it, change its passphrase');
  repoOptions(key.command('export').description('write the master key to a file, to keep in a safe place'))
    .requiredOption('--out <file>', 'the file to create (readable by its owner only)')
    .action(async (flags: RepoFlags & { out: string }) => {
      await withRepo(flags, async (r) => {
        await writeFile(flags.out, `${JSON.stringify(r.exportKey())}\n`, { mode: 0o600, flag: 'wx' });
        out(`wrote the master key of repository ${r.id} to ${flags.out}; anyone holding it can read every backup`);
      });
    });
  repoOptions(key.command('passwd').description('change the passphrase of an encrypted repository'))
    .option('--new-passphrase-file <file>', `file holding the new passphrase (or set ${NEW_PASSPHRASE_ENV})`)
    .action(async (flags: RepoFlags & { newPassphraseFile?: string }) => {
      const fresh = flags.newPassphraseFile !== undefined ? await readSecretFile(flags.newPassphraseFile, 'new passphrase') : process.env[NEW_PASSPHRASE_ENV];
      if (fresh === undefined || fresh === '') throw new ValidationError(`give the new passphrase with --new-passphrase-file or ${NEW_PASSPHRASE_ENV}`);
      await withRepo(flags, async (r, signal) => {
        await r.changePassphrase(fresh, signal);
        out(`changed the passphrase of repository ${r.id}`);
      });
    });
}
