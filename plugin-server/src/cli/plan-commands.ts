/**
 * `lifeline plan list | test | cleanup | failover | failback`: recovery plans of a DR site for
 * scripts. Unlike the other commands, these do not act on a data directory: a plan runs as a job
 * of the running Lifeline server, so they call its API (`/api/v1/recovery-plans`) over HTTPS,
 * pinned to the server's certificate thumbprint.
 *
 * They are authorised as every API call is, by the caller's vCenter session and privileges: the
 * command logs in to the DR site's vCenter as the given user (the password from a file or
 * LIFELINE_VC_PASSWORD, never from the command line), presents that session to the API the way
 * the vSphere Client does (`vmware-api-session-id`, with `lifeline-vc-guid` naming that vCenter),
 * and logs out at the end. The server clones the session and checks the user's privileges on each
 * call: listing needs System.Read, a run or clean-up Lifeline Restore on the target vCenter.
 *
 * `test`, `cleanup` and `failover` wait for the job, print the report of each VM and exit with 0
 * when the job succeeded, 1 otherwise. `failover` fails the plan over for real (`--mode disaster`,
 * the default, or `planned`: a planned migration) and asks for `--yes`. `failback` sends the
 * plan's failed-over VMs back to the source site as one job of the server (`POST
 * /recovery-plans/{id}/failback`: the plan's last group first, onto the original VMs or, with
 * `--new`, as new VMs), needs `--yes`, and exits with 0 only when every VM's failback succeeded.
 */
import https from 'node:https';
import { Option, type Command } from 'commander';
import { LifelineError, ValidationError, type ErrorCode } from '../errors/index.js';
import { connectVcenter, PinnedAgent, type Vcenter } from '../vsphere/index.js';
import { PASSWORD_ENV, readPassword } from './vcenter-commands.js';

interface PlanFlags {
  server: string;
  serverThumbprint: string;
  vcenter: string;
  vcenterThumbprint: string;
  user: string;
  passwordFile?: string;
  json?: boolean;
  yes?: boolean;
  timeout: string;
}

interface JobView {
  id: string;
  state: string;
  phase: string | null;
  error: { code: string; message: string } | null;
}

interface FailoverView {
  name: string;
  failback?: FailbackView['failback'];
  state: string;
  pointId: string;
  pointCreatedAt: string;
  dataLossWindowSeconds: number;
  vm: { moref: string } | null;
  report: {
    startedAt: string | null;
    poweredOnAt: string | null;
    toolsReadyAt: string | null;
    toolsWait?: string | null;
    hook?: { set: string; ok: boolean; messages: string[] } | null;
    rtoSeconds: number | null;
    failures: string[];
    cleanedAt: string | null;
    unusedOverrides?: Array<{ source: string; target: string; reason: string }>;
  };
}

interface PlanView {
  id: string;
  name: string;
  peerId: string;
  groups: Array<{ vms: string[] }>;
  runs: Array<{ id: string; mode: string; failback?: { target: string } | null; jobId: string | null; cleanupJobId: string | null; createdAt: string; failovers: FailoverView[][] }>;
}

const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);
const write = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);

/** One logged-in caller of a Lifeline server's API. */
class ApiCaller {
  private readonly agent: PinnedAgent;
  private readonly base: URL;

  constructor(
    server: string,
    thumbprint: string,
    private readonly session: string,
    private readonly vcenterGuid: string,
  ) {
    try {
      this.base = new URL(server);
    } catch {
      throw new ValidationError(`--server must be the Lifeline server's URL (https://host:port), not ${server}`);
    }
    if (this.base.protocol !== 'https:') throw new ValidationError(`--server must be an https URL, not ${server}`);
    this.agent = new PinnedAgent({ thumbprint, maxSockets: 2 });
  }

  call<T>(method: string, path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = https.request(
        new URL(`/api/v1${path}`, this.base),
        {
          method,
          agent: this.agent,
          signal,
          headers: { 'vmware-api-session-id': this.session, 'lifeline-vc-guid': this.vcenterGuid, accept: 'application/json', ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text === '' ? null : JSON.parse(text);
            } catch {
              json = null;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) return resolve(json as T);
            const p = (json ?? {}) as { code?: string; detail?: string; title?: string };
            // The server speaks the same error codes (problem+json `code`).
            reject(new LifelineError(typeof p.code === 'string' ? (p.code as ErrorCode) : 'internal', `${method} ${path} answered ${status}: ${p.detail ?? p.title ?? text.slice(0, 300)}`, { status }));
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Logs in to the vCenter, runs `fn` with an API caller presenting that session, logs out. */
async function withApi<T>(flags: PlanFlags, signal: AbortSignal, fn: (api: ApiCaller) => Promise<T>): Promise<T> {
  const password = await readPassword(flags, process.env);
  const vc: Vcenter = await connectVcenter({ url: flags.vcenter, thumbprint: flags.vcenterThumbprint, user: flags.user, password, keepAliveMs: 0 }, signal);
  const cookie = vc.session.transport.cookie;
  const token = cookie ? /^vmware_soap_session="?([^";]+)"?/.exec(cookie)?.[1] : undefined;
  const guid = vc.instanceUuid;
  if (!token || !guid) {
    vc.close();
    throw new LifelineError('internal', 'the vCenter gave no session to present to the Lifeline server');
  }
  let api: ApiCaller | undefined;
  try {
    api = new ApiCaller(flags.server, flags.serverThumbprint, token, guid);
    return await fn(api);
  } finally {
    api?.close();
    await vc.logout(AbortSignal.timeout(30_000)).catch(() => vc.close());
  }
}

async function findPlan(api: ApiCaller, nameOrId: string, signal: AbortSignal): Promise<PlanView> {
  const { items } = await api.call<{ items: PlanView[] }>('GET', '/recovery-plans', undefined, signal);
  const plan = items.find((p) => p.id === nameOrId) ?? items.find((p) => p.name === nameOrId);
  if (!plan) throw new LifelineError('not-found', `no recovery plan named ${nameOrId} at this site (lifeline plan list shows them)`, { plan: nameOrId });
  return plan;
}

async function waitForJob(api: ApiCaller, id: string, signal: AbortSignal, quiet: boolean): Promise<JobView> {
  let phase: string | null = null;
  for (;;) {
    const job = await api.call<JobView>('GET', `/jobs/${encodeURIComponent(id)}`, undefined, signal);
    if (!quiet && job.phase !== phase && job.phase !== null) process.stderr.write(`job ${id}: ${job.phase}\n`);
    phase = job.phase;
    if (ENDED.has(job.state)) return job;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The report of a run: one line per VM, by group. */
export function formatRun(plan: PlanView, run: PlanView['runs'][number]): string {
  const lines = [`plan ${plan.name}, run ${run.id} (${run.mode}) of ${run.createdAt}`];
  for (const [g, fs] of run.failovers.entries()) {
    lines.push(`group ${g + 1}:`);
    for (const f of fs) {
      const r = f.report;
      const tools = r.toolsWait ?? (r.toolsReadyAt ? 'ready' : '-');
      const hook = r.hook ? `${r.hook.set} ${r.hook.ok ? 'ok' : 'FAILED'}` : '-';
      lines.push(`  ${f.name}  ${f.state}  point ${f.pointId} (${f.pointCreatedAt})  vm ${f.vm?.moref ?? '-'}  tools ${tools}  hook ${hook}  rto ${r.rtoSeconds ?? '-'} s  data-loss window ${f.dataLossWindowSeconds} s`);
      for (const failure of r.failures) lines.push(`    ! ${failure}`);
      for (const o of r.unusedOverrides ?? []) lines.push(`    - network override ${o.source} -> ${o.target} not used (${o.reason === 'test-networks' ? 'a drill keeps the test networks' : 'no network card on it'})`);
    }
  }
  return lines.join('\n');
}

async function runAndReport(flags: PlanFlags, planName: string, what: 'test' | 'disaster' | 'planned' | 'cleanup', shutdownTimeoutSeconds?: number): Promise<number> {
  const signal = timeoutSignal(flags.timeout);
  return withApi(flags, signal, async (api) => {
    const plan = await findPlan(api, planName, signal);
    const path = what === 'cleanup' ? `/recovery-plans/${plan.id}/cleanup` : `/recovery-plans/${plan.id}/run`;
    const accepted = await api.call<{ job: { id: string }; run: { id: string } }>('POST', path, what === 'cleanup' ? undefined : { mode: what, ...(what === 'planned' && shutdownTimeoutSeconds !== undefined ? { shutdownTimeoutSeconds } : {}) }, signal);
    process.stderr.write(`${what === 'cleanup' ? 'clean-up' : what === 'test' ? 'test' : what === 'planned' ? 'planned migration' : 'failover'} of plan ${plan.name}: job ${accepted.job.id}\n`);
    const job = await waitForJob(api, accepted.job.id, signal, flags.json === true);
    const after = await api.call<PlanView>('GET', `/recovery-plans/${plan.id}`, undefined, signal);
    const run = after.runs.find((r) => r.id === accepted.run.id);
    if (flags.json) write(JSON.stringify({ job, run: run ?? null }, null, 2));
    else {
      if (run) write(formatRun(after, run));
      write(`job ${job.id} ${job.state}${job.error ? `: ${job.error.message} [${job.error.code}]` : ''}`);
    }
    return job.state === 'succeeded' ? 0 : 1;
  });
}

interface FailbackView {
  name: string;
  sourceVm: { id: string; name: string };
  failback?: { state: string; target: string; shutdown: string | null; pointId: string | null; chunks: number | null; chunksSent: number | null; bytesSent: number | null; sourceVm: { moref: string; name: string } | null; failures: string[] } | null;
}

/** The report of a plan's failback: one line per VM, by group, the order it ran in (the last group first). */
export function formatFailbackRun(plan: PlanView, run: PlanView['runs'][number]): string {
  const lines = [`plan ${plan.name}, failback ${run.id} of ${run.createdAt} (${run.failback?.target === 'new' ? 'as new VMs at the source site' : 'onto the original VMs'}; the last group first)`];
  for (let g = run.failovers.length - 1; g >= 0; g--) {
    lines.push(`group ${g + 1}:`);
    for (const f of run.failovers[g]!) {
      const fb = f.failback;
      const state = fb?.state === 'done' ? 'succeeded' : (fb?.state ?? 'not asked');
      lines.push(`  ${f.name}  ${state}  point ${fb?.pointId ?? '-'}  ${fb?.chunksSent ?? '-'} of ${fb?.chunks ?? '-'} chunks sent (${fb?.bytesSent ?? '-'} bytes)  now ${fb?.sourceVm?.moref ?? '-'} at the source site  shut down here: ${fb?.shutdown ?? '-'}`);
      for (const failure of fb?.failures ?? []) lines.push(`    ! ${failure}`);
    }
  }
  return lines.join('\n');
}

/** The plan's failback as one job of the server (POST /recovery-plans/{id}/failback); 0 only when every VM's failback succeeded. */
async function failbackPlan(flags: PlanFlags, planName: string, opts: { target: 'original' | 'new'; nameSuffix: string | null; shutdownTimeoutSeconds: number; powerOn: boolean }): Promise<number> {
  const signal = timeoutSignal(flags.timeout);
  return withApi(flags, signal, async (api) => {
    const plan = await findPlan(api, planName, signal);
    const accepted = await api.call<{ job: { id: string }; run: { id: string } }>('POST', `/recovery-plans/${plan.id}/failback`, { target: opts.target, ...(opts.nameSuffix !== null ? { nameSuffix: opts.nameSuffix } : {}), powerOn: opts.powerOn, shutdownTimeoutSeconds: opts.shutdownTimeoutSeconds }, signal);
    process.stderr.write(`failback of plan ${plan.name}: job ${accepted.job.id}\n`);
    const job = await waitForJob(api, accepted.job.id, signal, flags.json === true);
    const after = await api.call<PlanView>('GET', `/recovery-plans/${plan.id}`, undefined, signal);
    const run = after.runs.find((r) => r.id === accepted.run.id);
    if (flags.json) write(JSON.stringify({ job, run: run ?? null }, null, 2));
    else {
      if (run) write(formatFailbackRun(after, run));
      write(`job ${job.id} ${job.state}${job.error ? `: ${job.error.message} [${job.error.code}]` : ''}`);
    }
    return job.state === 'succeeded' ? 0 : 1;
  });
}

function shutdownSeconds(text: string): number {
  const shutdown = Number(text);
  if (!Number.isSafeInteger(shutdown) || shutdown < 0 || shutdown > 3600) throw new ValidationError(`--shutdown-timeout must be a whole number of seconds from 0 to 3600, not ${text}`);
  return shutdown;
}

function timeoutSignal(text: string): AbortSignal {
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0) throw new ValidationError(`--timeout must be a positive number of seconds, not ${text}`);
  return AbortSignal.timeout(s * 1000);
}

export function registerPlanCommands(program: Command): void {
  const plan = program.command('plan').description("recovery plans of a DR site, through the running Lifeline server's API as a vCenter user");
  const common = (cmd: Command) =>
    cmd
      .addOption(new Option('--server <url>', 'the Lifeline server, e.g. https://lifeline.example.com:8443').env('LIFELINE_SERVER_URL').makeOptionMandatory())
      .addOption(new Option('--server-thumbprint <sha256>', "SHA-256 thumbprint of the Lifeline server's certificate").env('LIFELINE_SERVER_THUMBPRINT').makeOptionMandatory())
      .addOption(new Option('--vcenter <url>', "the DR site's vCenter the user logs in to").env('LIFELINE_VC_URL').makeOptionMandatory())
      .addOption(new Option('--vcenter-thumbprint <sha256>', "SHA-256 thumbprint of the vCenter's certificate").env('LIFELINE_VC_THUMBPRINT').makeOptionMandatory())
      .addOption(new Option('--user <user>', 'the vCenter user, e.g. dr-operator@vsphere.local').env('LIFELINE_VC_USER').makeOptionMandatory())
      .option('--password-file <file>', `file holding the user's password (or set ${PASSWORD_ENV})`)
      .option('--json', 'print JSON')
      .addOption(new Option('--timeout <seconds>', 'give up waiting after this long').default('7200'));

  common(plan.command('list').description('list the recovery plans with their last run')).action(async (flags: PlanFlags) => {
    const signal = timeoutSignal(flags.timeout);
    await withApi(flags, signal, async (api) => {
      const { items } = await api.call<{ items: PlanView[] }>('GET', '/recovery-plans', undefined, signal);
      if (flags.json) write(JSON.stringify(items, null, 2));
      else if (items.length === 0) write('no recovery plans');
      else for (const p of items) {
        const last = p.runs[0];
        const states = last ? last.failovers.flat().map((f) => f.state) : [];
        write(`${p.name}  id ${p.id}  ${p.groups.length} group(s), ${p.groups.reduce((n, g) => n + g.vms.length, 0)} VM(s)  last run: ${last ? `${last.failback ? 'failback' : last.mode} ${last.createdAt} (${states.join(', ')})` : 'none'}`);
      }
    });
  });
  common(plan.command('test').argument('<plan>', 'plan name or id').description('run a drill of the plan on the test networks, wait, print the report')).action(async (name: string, flags: PlanFlags) => {
    process.exitCode = await runAndReport(flags, name, 'test');
  });
  common(plan.command('cleanup').argument('<plan>', 'plan name or id').description("remove the VMs of the plan's last drill, wait, print the report")).action(async (name: string, flags: PlanFlags) => {
    process.exitCode = await runAndReport(flags, name, 'cleanup');
  });
  common(
    plan
      .command('failover')
      .argument('<plan>', 'plan name or id')
      .description('fail the plan over for real, wait, print the report: mode disaster (from the latest points this site holds) or planned (planned migration: the source site shuts each VM down and sends its last point first)')
      .addOption(new Option('--mode <mode>', 'disaster or planned').choices(['disaster', 'planned']).default('disaster'))
      .option('--shutdown-timeout <seconds>', 'mode planned: how long the source site waits for each guest to shut down through VMware Tools before powering it off', '300')
      .option('--yes', 'confirm: the VMs start on the production networks at this site'),
  ).action(async (name: string, flags: PlanFlags & { mode: 'disaster' | 'planned'; shutdownTimeout: string }) => {
    if (!flags.yes) {
      throw new ValidationError(
        flags.mode === 'planned'
          ? `a planned migration of plan ${name} shuts its VMs down at the source site (they stay powered off there, marked failed over), sends their last points here and starts them at this site on the production networks; nothing written before is lost. Add --yes to confirm`
          : `a failover of plan ${name} starts its VMs at this site on the production networks from the latest replicated points, losing what the source site wrote since; Lifeline does not remove them afterwards. Add --yes to confirm`,
      );
    }
    process.exitCode = await runAndReport(flags, name, flags.mode, flags.mode === 'planned' ? shutdownSeconds(flags.shutdownTimeout) : undefined);
  });
  common(
    plan
      .command('failback')
      .argument('<plan>', 'plan name or id')
      .description("fail the plan's VMs back to the source site as one job of the server, the plan's last group first; wait, print each VM's outcome")
      .option('--yes', "confirm: the VMs at this site are shut down and stay off; the source site's VMs get their disks replaced (or new VMs are made, --new)")
      .option('--new', "make a new VM at the source site for each, named its source VM's name + --name-suffix, instead of replacing the original VMs' disks")
      .option('--name-suffix <suffix>', 'with --new: the new VMs\' name suffix (default -failback)')
      .option('--shutdown-timeout <seconds>', 'how long to wait for each guest to shut down through VMware Tools before powering it off', '300')
      .option('--no-power-on', 'leave the VMs at the source site powered off'),
  ).action(async (name: string, flags: PlanFlags & { shutdownTimeout: string; powerOn: boolean; new?: boolean; nameSuffix?: string }) => {
    if (flags.nameSuffix !== undefined && !flags.new) throw new ValidationError('--name-suffix names new VMs: it needs --new (the original VMs keep their names)');
    if (!flags.yes) {
      throw new ValidationError(
        `a failback of plan ${name} shuts its VMs down at this site (they stay powered off here), sends their last points back and ${flags.new ? 'makes a new VM of each at the source site' : 'replaces the disks of the original VMs at the source site with them'}. Add --yes to confirm`,
      );
    }
    process.exitCode = await failbackPlan(flags, name, { target: flags.new ? 'new' : 'original', nameSuffix: flags.new ? (flags.nameSuffix ?? null) : null, shutdownTimeoutSeconds: shutdownSeconds(flags.shutdownTimeout), powerOn: flags.powerOn });
  });
}
