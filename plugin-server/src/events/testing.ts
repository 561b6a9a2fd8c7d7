/**
 * The events test kit: real receivers on loopback, as a third party would run them. A webhook
 * receiver over HTTPS (its own self-signed certificate, which a channel trusts through `caPem`)
 * that verifies each signature with the `standardwebhooks` package, and a syslog receiver over
 * UDP, TCP or TLS that splits octet-counted frames. Specs only; no production code imports it.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { Webhook } from 'standardwebhooks';

export interface TestPems {
  cert: string;
  key: string;
}

/** A certificate for 127.0.0.1 (IP SAN), self-signed, to be trusted by its PEM. */
export async function loopbackCertificate(): Promise<TestPems> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7 as const, ip: '127.0.0.1' }] },
    ],
  } as Parameters<typeof generate>[1]);
  return { cert: pems.cert, key: pems.private };
}

/** A fresh Standard Webhooks secret. */
export function webhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface ReceivedWebhook {
  id: string;
  /** The verified payload. */
  payload: { type: string; timestamp: string; data: Record<string, unknown> & { id: string } };
  headers: Record<string, string>;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly caPem: string;
  readonly received: ReceivedWebhook[];
  /** Requests whose signature did not verify (answered 401). */
  readonly refused: string[];
  /** Answers with this status instead of 204 while set. */
  failWith: number | null;
  /** While set, requests are read and left unanswered (a receiver that hangs); `answerHeld()` answers them. */
  holdAnswers: boolean;
  /** Requests left unanswered so far. */
  readonly held: number;
  /** TLS connections open to it now. */
  readonly connections: number;
  /** Handles the requests left unanswered, as if they came now. */
  answerHeld(): void;
  /** Called with each verified webhook as it arrives. */
  onReceive: ((w: ReceivedWebhook) => void) | null;
  /** Resolves once `n` webhooks have been received. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** Stops listening (connections refused) until `start()` again on the same port. */
  close(): Promise<void>;
  start(): Promise<void>;
}

export async function startWebhookReceiver(secret: string, pems?: TestPems): Promise<WebhookReceiver> {
  const { cert, key } = pems ?? (await loopbackCertificate());
  const verifier = new Webhook(secret);
  const received: ReceivedWebhook[] = [];
  const refused: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let server: HttpsServer | null = null;
  let port = 0;
  const heldAnswers: Array<() => void> = [];
  let connections = 0;
  const receiver: WebhookReceiver = {
    get url() {
      return `https://127.0.0.1:${port}/hooks/lifeline`;
    },
    caPem: cert,
    received,
    refused,
    failWith: null,
    holdAnswers: false,
    get held() {
      return heldAnswers.length;
    },
    get connections() {
      return connections;
    },
    answerHeld() {
      for (const answer of heldAnswers.splice(0)) answer();
    },
    onReceive: null,
    async waitFor(n, timeoutMs = 30_000) {
      if (received.length < n) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${received.length} of ${n} webhooks received in ${timeoutMs} ms`)), timeoutMs);
          waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
        });
      }
      return received;
    },
    async start() {
      const s = createHttpsServer({ cert, key }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (receiver.holdAnswers) heldAnswers.push(() => answer());
          else answer();
        });
        const answer = () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
          if (receiver.failWith !== null) {
            res.writeHead(receiver.failWith).end();
            return;
          }
          try {
            const payload = verifier.verify(body, headers) as ReceivedWebhook['payload'];
            const w = { id: headers['webhook-id'] ?? '', payload, headers };
            received.push(w);
            receiver.onReceive?.(w);
            res.writeHead(204).end();
            for (const w of waiters.filter((x) => received.length >= x.n)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          } catch (err) {
            refused.push(String(err));
            res.writeHead(401).end();
          }
        };
      });
      // Idle connections are kept for a minute (node's default is 5 s), as a receiver that wants
      // them kept would: a connection closes when Lifeline closes it, not by the receiver's clock.
      s.keepAliveTimeout = 60_000;
      s.on('secureConnection', (socket) => {
        connections++;
        socket.once('close', () => connections--);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      port = (s.address() as AddressInfo).port;
      server = s;
    },
    async close() {
      const s = server;
      server = null;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await receiver.start();
  return receiver;
}

export interface SyslogReceiver {
  readonly port: number;
  readonly caPem: string | null;
  /** Each message as received, without framing. */
  readonly messages: string[];
  /** Called with each message as it arrives. */
  onReceive: ((m: string) => void) | null;
  waitFor(n: number, timeoutMs?: number): Promise<string[]>;
  close(): Promise<void>;
}

/** A syslog receiver on 127.0.0.1: UDP datagrams, or octet-counted frames over TCP or TLS. */
export async function startSyslogReceiver(transport: 'udp' | 'tcp' | 'tls'): Promise<SyslogReceiver> {
  const messages: string[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const hooks: { onReceive: ((m: string) => void) | null } = { onReceive: null };
  const push = (m: string) => {
    messages.push(m);
    hooks.onReceive?.(m);
    for (const w of waiters.filter((x) => messages.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const waitFor = async (n: number, timeoutMs = 30_000) => {
    if (messages.length < n) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${messages.length} of ${n} syslog messages received in ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    }
    return messages;
  };
  if (transport === 'udp') {
    const socket = createSocket('udp4');
    socket.on('message', (m) => push(m.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return Object.assign(hooks, { port: socket.address().port, caPem: null, messages, waitFor, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
  }
  const sockets = new Set<Socket>();
  const onConnection = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) return;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (!Number.isInteger(len) || len <= 0) {
          s.destroy();
          return;
        }
        if (buf.length < sp + 1 + len) return;
        push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  };
  let pems: TestPems | null = null;
  let server: TcpServer;
  if (transport === 'tls') {
    pems = await loopbackCertificate();
    server = createTlsServer({ cert: pems.cert, key: pems.key }, onConnection);
  } else {
    server = createTcpServer(onConnection);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return Object.assign(hooks, {
    port: (server.address() as AddressInfo).port,
    caPem: pems?.cert ?? null,
    messages,
    waitFor,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The whole message as sent (headers and body). */
  raw: string;
  user: string | null;
  secure: boolean;
}

export interface SmtpReceiver {
  readonly port: number;
  readonly caPem: string;
  readonly mails: ReceivedMail[];
  /** Called with each mail as it arrives. */
  onReceive: ((m: ReceivedMail) => void) | null;
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/**
 * An SMTP server (the `smtp-server` package) on 127.0.0.1 that takes mail only over TLS — from
 * the first byte (`tls`) or after STARTTLS (`starttls`) — and only from `user` with `password`.
 */
export async function startSmtpReceiver(mode: 'tls' | 'starttls', user: string, password: string): Promise<SmtpReceiver> {
  const { SMTPServer } = await import('smtp-server');
  const pems = await loopbackCertificate();
  const mails: ReceivedMail[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const hooks: { onReceive: ((m: ReceivedMail) => void) | null } = { onReceive: null };
  const server = new SMTPServer({
    secure: mode === 'tls',
    // A closing receiver ends idle client connections (a sender's pool) at once.
    closeTimeout: 50,
    key: pems.key,
    cert: pems.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const mail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: typeof session.user === 'string' ? session.user : null,
          secure: session.secure,
        };
        mails.push(mail);
        hooks.onReceive?.(mail);
        callback();
        for (const w of waiters.filter((x) => mails.length >= x.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return Object.assign(hooks, {
    port,
    caPem: pems.cert,
    mails,
    async waitFor(n: number, timeoutMs = 30_000): Promise<ReceivedMail[]> {
      if (mails.length < n) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`${mails.length} of ${n} mails received in ${timeoutMs} ms`)), timeoutMs);
          waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
        });
      }
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** A received mail as a person reads it: headers unfolded, a quoted-printable body decoded (RFC 2045 §6.7). */
export function mailText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const head = (split < 0 ? raw : raw.slice(0, split)).replace(/\r?\n[ \t]+/g, ' ');
  let body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  if (/^Content-Transfer-Encoding: quoted-printable/im.test(head)) {
    body = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  return `${head}\n\n${body}`;
}

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly: every line a `# HELP`,
 * a `# TYPE` before its family's samples, or a sample `name{label="value",…} value`; throws on
 * anything else, so a spec that parses the answer checks its format too.
 */
export function parsePrometheusText(text: string): { types: Map<string, string>; samples: PromSample[] } {
  const types = new Map<string, string>();
  const samples: PromSample[] = [];
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)/y;
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const help = new RegExp(`^# HELP (${NAME}) .*$`).exec(line);
    if (help) continue;
    const type = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (type) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not Prometheus text format: ${line}`);
    const name = m[1] ?? '';
    const family = [...types.keys()].find((t) => name === t || name === `${t}_bucket` || name === `${t}_sum` || name === `${t}_count`);
    if (!family) throw new Error(`line ${i + 1}: sample ${name} before its # TYPE`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    labelRe.lastIndex = 0;
    while (labelRe.lastIndex < body.length) {
      const l = labelRe.exec(body);
      if (!l) throw new Error(`line ${i + 1}: bad labels {${body}}`);
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    const raw = m[3] ?? '';
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    if (raw !== 'NaN' && Number.isNaN(value)) throw new Error(`line ${i + 1}: bad value ${raw}`);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}
