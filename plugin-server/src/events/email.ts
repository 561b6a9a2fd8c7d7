/**
 * E-mail through an SMTP relay (nodemailer): one message per event, plain text, with the VM, the
 * job, the error and the event's id; events due for a channel at the same moment (a burst) go in
 * one message that lists each of them in full, with an `X-Lifeline-Event-Id` header per event. `tls` speaks TLS from the first byte (port 465), `starttls`
 * requires the server to upgrade the connection before anything is sent (port 587), `none` is
 * for a relay on the same host. The SMTP password is read from a file (owner-only, checked on
 * every read), never from the database or the API.
 */
import { readFile } from 'node:fs/promises';
import { createTransport, type Transporter } from 'nodemailer';
import { requirePrivateFile } from '../config/secret-file.js';
import { LifelineError } from '../errors/index.js';
import type { Channel, EmailSettings } from './channel.js';
import type { ChannelSender } from './dispatcher.js';
import { severityRank, type LifelineEvent } from './event.js';

/** Subject and body of the e-mail for an event. */
export function emailOf(event: LifelineEvent): { subject: string; text: string } {
  const vm = event.vm ? `${event.vm.name ?? event.vm.moref}` : null;
  const subject = `[Lifeline ${event.severity}] ${event.message}`.replace(/[\r\n]+/g, ' ').slice(0, 250);
  const error = (event.data['error'] as { code?: unknown; message?: unknown } | undefined) ?? null;
  const lines = [
    event.message,
    '',
    `Event:    ${event.type} (${event.severity})`,
    `Time:     ${event.at}`,
    ...(vm && event.vm ? [`VM:       ${vm} (${event.vm.moref}, vCenter ${event.vm.vcenterGuid})`] : []),
    ...(event.jobId ? [`Job:      ${event.jobId}`] : []),
    ...(event.pointId ? [`Point:    ${event.pointId}`] : []),
    ...(error ? [`Error:    ${String(error.message)} (${String(error.code)})`] : []),
    `Event id: ${event.id}`,
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

/** The most events one mail lists. */
export const MAX_EVENTS_PER_MAIL = 100;

/** One mail for several events: a subject that counts them, and each event's text in turn. */
export function emailOfMany(events: readonly LifelineEvent[]): { subject: string; text: string } {
  const worst = events.reduce((w, e) => (severityRank(e.severity) > severityRank(w) ? e.severity : w), 'info' as LifelineEvent['severity']);
  const bad = events.filter((e) => severityRank(e.severity) >= severityRank('error')).length;
  const first = events[0]?.message ?? '';
  const subject = `[Lifeline ${worst}] ${events.length} events${bad > 0 ? `, ${bad} error(s)` : ''}: ${first}`.replace(/[\r\n]+/g, ' ').slice(0, 250);
  const text = events.map((e, i) => `${i + 1} of ${events.length}: ${emailOf(e).text}`).join('\n----\n\n');
  return { subject, text };
}

/** How long a password read from its file is used before the file is read (and checked) again. */
export const PASSWORD_REREAD_MS = 10_000;

async function readPassword(file: string): Promise<string> {
  await requirePrivateFile(file, 'SMTP password');
  const text = await readFile(file, 'utf8');
  return text.replace(/\r?\n$/, '');
}

export function emailSender(): ChannelSender {
  // Read (and its mode checked) at most every PASSWORD_REREAD_MS per file, not once per mail: a
  // busy outbox sends hundreds a second. A changed password is picked up within that time.
  const passwords = new Map<string, { at: number; value: Promise<string> }>();
  const passwordOf = (s: EmailSettings): Promise<string | undefined> => {
    if (s.passwordFile === null) return Promise.resolve(undefined);
    const now = performance.now();
    const known = passwords.get(s.passwordFile);
    if (known && now - known.at < PASSWORD_REREAD_MS) return known.value;
    const value = readPassword(s.passwordFile);
    const entry = { at: now, value };
    passwords.set(s.passwordFile, entry);
    // A failed read is not kept: the next mail tries the file again.
    value.catch(() => {
      if (passwords.get(s.passwordFile as string) === entry) passwords.delete(s.passwordFile as string);
    });
    return value;
  };
  // A small pool of SMTP connections per channel configuration (and password), kept between mails.
  const pools = new Map<string, { key: string; transport: Transporter }>();
  const transportOf = async (channel: Channel): Promise<{ s: EmailSettings; transport: Transporter }> => {
    if (channel.kind !== 'email') throw new LifelineError('validation', `channel ${channel.id} is not an e-mail channel`);
    const s = channel.settings;
    const pass = await passwordOf(s);
    const key = JSON.stringify([s, pass ?? null]);
    let pooled = pools.get(channel.id);
    if (pooled?.key !== key) {
      pooled?.transport.close();
      pooled = { key, transport: makeTransport(s, pass) };
      pools.set(channel.id, pooled);
    }
    return { s, transport: pooled.transport };
  };
  const send = async (event: LifelineEvent, channel: Channel): Promise<string> => {
    const { s, transport } = await transportOf(channel);
    const { subject, text } = event.type === 'lifeline.summary' ? summaryMail(event) : emailOf(event);
    const info = await transport.sendMail({ from: s.from, to: [...s.to], subject, text, headers: { 'X-Lifeline-Event-Id': event.id, 'X-Lifeline-Event-Type': event.type } });
    return `SMTP ${String(info.response).slice(0, 200)}`;
  };
  // nodemailer's own timeouts (connection, greeting, socket) bound a send; the signal is not wired through.
  return {
    send: (event, channel) => send(event, channel),
    async sendBatch(events, channel) {
      // A summary or a test is a mail of its own.
      if (events.some((e) => e.type === 'lifeline.summary' || e.type === 'lifeline.test')) {
        for (const e of events) await send(e, channel);
        return `SMTP ${events.length} mails`;
      }
      const { s, transport } = await transportOf(channel);
      const { subject, text } = emailOfMany(events);
      const info = await transport.sendMail({
        from: s.from,
        to: [...s.to],
        subject,
        text,
        headers: { 'X-Lifeline-Event-Id': events.map((e) => e.id), 'X-Lifeline-Event-Type': [...new Set(events.map((e) => e.type))].join(', ') },
      });
      return `SMTP ${events.length} events in one mail: ${String(info.response).slice(0, 200)}`;
    },
    maxBatch: MAX_EVENTS_PER_MAIL,
    // Events due while a mail is on its way go in the next one, not in a mail each.
    maxInFlight: 2,
    close() {
      for (const p of pools.values()) p.transport.close();
      pools.clear();
      passwords.clear();
    },
  };
}

function makeTransport(s: EmailSettings, pass: string | undefined): Transporter {
  return createTransport({
    pool: true,
    maxConnections: 4,
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    ...(s.user !== null ? { auth: { user: s.user, pass: pass ?? '' } } : {}),
    tls: { ...(s.caPem ? { ca: s.caPem } : {}), servername: /^[\d.:]+$/.test(s.host) ? undefined : s.host },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 15_000,
  });
}

/** The daily summary's mail: its text was put together when it was recorded. */
function summaryMail(event: LifelineEvent): { subject: string; text: string } {
  return { subject: `[Lifeline] ${event.message}`, text: typeof event.data['text'] === 'string' ? event.data['text'] : `${event.message}\n` };
}
