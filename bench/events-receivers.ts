/**
 * The receivers of `npm run bench -- events`, in a process of their own as they would be on the
 * machines of a SIEM, a mail relay and a webhook consumer: a webhook receiver over HTTPS that
 * verifies each signature with the standardwebhooks package, syslog receivers over TCP and TLS,
 * and an SMTP server (STARTTLS and a password). Each notes, per event id, when it got it
 * (Date.now(), the clock the benchmark process reads too). Spoken to over the IPC channel of
 * child_process.fork: it says `ready` with its addresses, `progress` as events arrive, and answers
 * `report` with what it got.
 */
import { startSmtpReceiver, startSyslogReceiver, startWebhookReceiver, webhookSecret } from '../plugin-server/src/events/testing.js';

export type ReceiverName = 'webhook' | 'syslog-tcp' | 'syslog-tls' | 'email';

export interface ReceiversReady {
  type: 'ready';
  secret: string;
  webhook: { url: string; caPem: string };
  tcp: { port: number };
  tls: { port: number; caPem: string };
  smtp: { port: number; caPem: string; user: string; password: string };
}

export interface ReceiversReport {
  type: 'report';
  /** Per receiver: each event id with the times it arrived (more than one: a duplicate). */
  received: Record<ReceiverName, Array<[string, number[]]>>;
  /** Webhooks whose signature did not verify, mails and lines without an event id. */
  refused: number;
  mails: number;
  cpuSeconds: number;
}

async function main(): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  const secret = webhookSecret();
  const user = 'bench';
  const password = 'bench-pass';
  const [hook, tcp, tls, smtp] = await Promise.all([startWebhookReceiver(secret), startSyslogReceiver('tcp'), startSyslogReceiver('tls'), startSmtpReceiver('starttls', user, password)]);
  const got: Record<ReceiverName, Map<string, number[]>> = { webhook: new Map(), 'syslog-tcp': new Map(), 'syslog-tls': new Map(), email: new Map() };
  let unknown = 0;
  let total = 0;
  const note = (r: ReceiverName, id: string | undefined) => {
    if (!id) {
      unknown++;
      return;
    }
    const at = Date.now();
    const times = got[r].get(id);
    if (times) times.push(at);
    else {
      got[r].set(id, [at]);
      total++;
    }
  };
  hook.onReceive = (w) => note('webhook', w.id);
  const syslogId = (m: string) => /id="(evt_[0-9a-f]+)"/.exec(m)?.[1];
  tcp.onReceive = (m) => note('syslog-tcp', syslogId(m));
  tls.onReceive = (m) => note('syslog-tls', syslogId(m));
  smtp.onReceive = (mail) => {
    const head = mail.raw.slice(0, Math.max(0, mail.raw.search(/\r?\n\r?\n/)));
    const ids = [...head.matchAll(/^X-Lifeline-Event-I[Dd]: (evt_[0-9a-f]+)/gm)].map((m) => m[1]);
    if (ids.length === 0) note('email', undefined);
    for (const id of ids) note('email', id);
  };
  let told = -1;
  const progress = setInterval(() => {
    if (total !== told) send({ type: 'progress', total });
    told = total;
  }, 50);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'report') {
      const cpu = process.cpuUsage();
      const report: ReceiversReport = {
        type: 'report',
        received: Object.fromEntries(Object.entries(got).map(([k, v]) => [k, [...v.entries()]])) as ReceiversReport['received'],
        refused: hook.refused.length + unknown,
        mails: smtp.mails.length,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
      send(report);
    } else if (m.type === 'close') {
      clearInterval(progress);
      void Promise.all([hook.close(), tcp.close(), tls.close(), smtp.close()]).finally(() => process.exit(0));
    }
  });
  const ready: ReceiversReady = {
    type: 'ready',
    secret,
    webhook: { url: hook.url, caPem: hook.caPem },
    tcp: { port: tcp.port },
    tls: { port: tls.port, caPem: tls.caPem ?? '' },
    smtp: { port: smtp.port, caPem: smtp.caPem, user, password },
  };
  send(ready);
}

await main();
