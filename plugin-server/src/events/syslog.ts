/**
 * Syslog for a SIEM: each event as one RFC 5424 message — facility local0, the event's severity,
 * APP-NAME `lifeline`, MSGID the event type, structured data `lifeline@32473` with the event's
 * references (32473 is the private enterprise number RFC 5612 sets aside for examples; Lifeline
 * has none of its own) and the message as UTF-8 with a BOM. Over UDP one datagram per message
 * (RFC 5426); over TCP and TLS with octet counting (RFC 6587 §3.4.1, which RFC 5425 makes the TLS
 * framing), on one connection per channel kept open between events, the messages due together in one
 * write. A message is delivered once the connection took it: syslog has no acknowledgement.
 */
import { createSocket } from 'node:dgram';
import { hostname } from 'node:os';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TimeSource } from '../domain/index.js';
import { LifelineError } from '../errors/index.js';
import type { Channel, SyslogSettings } from './channel.js';
import type { ChannelSender } from './dispatcher.js';
import type { EventSeverity, LifelineEvent } from './event.js';

const FACILITY_LOCAL0 = 16;
const SYSLOG_SEVERITY: Record<EventSeverity, number> = { critical: 2, error: 3, warning: 4, info: 6 };
const SD_ID = 'lifeline@32473';

/** A PARAM-VALUE with `"`, `\` and `]` escaped (RFC 5424 §6.3.3). */
const sdValue = (v: string): string => v.replace(/[\\"\]]/g, (c) => `\\${c}`);

/** Printable US-ASCII without spaces, at most `max` long, or the nil value. */
const token = (v: string, max: number): string => v.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-';

/** The event as one RFC 5424 message (without transport framing). */
export function syslogLine(event: LifelineEvent, host = hostname(), pid = process.pid): string {
  const pri = FACILITY_LOCAL0 * 8 + SYSLOG_SEVERITY[event.severity];
  const params: Array<[string, string | null | undefined]> = [
    ['id', event.id],
    ['type', event.type],
    ['severity', event.severity],
    ['vcenter', event.vm?.vcenterGuid],
    ['vm', event.vm?.moref],
    ['vmName', event.vm?.name],
    ['site', event.site],
    ['job', event.jobId],
    ['point', event.pointId],
  ];
  const sd = `[${SD_ID}${params
    .filter((p): p is [string, string] => typeof p[1] === 'string')
    .map(([k, v]) => ` ${k}="${sdValue(v)}"`)
    .join('')}]`;
  return `<${pri}>1 ${event.at} ${token(host, 255)} lifeline ${pid} ${token(event.type, 32)} ${sd} \uFEFF${event.message}`;
}

export interface SyslogSenderOptions {
  clock: TimeSource;
}

interface OpenConnection {
  key: string;
  socket: Promise<Socket>;
}

export function syslogSender(_opts: SyslogSenderOptions): ChannelSender {
  const connections = new Map<string, OpenConnection>();

  const connection = (channel: Channel & { kind: 'syslog' }, signal: AbortSignal): Promise<Socket> => {
    const key = JSON.stringify(channel.settings);
    const open = connections.get(channel.id);
    if (open && open.key === key) return open.socket;
    if (open) void open.socket.then((s) => s.destroy(), () => undefined);
    const socket = connectStream(channel.settings, signal);
    const entry = { key, socket };
    connections.set(channel.id, entry);
    const forget = () => {
      if (connections.get(channel.id) === entry) connections.delete(channel.id);
    };
    socket.then(
      (s) => {
        s.on('close', forget);
        s.on('error', forget);
        // The receiver says nothing; reading keeps a closed connection noticed.
        s.resume();
        s.unref();
      },
      forget,
    );
    return socket;
  };

  /** Writes octet-counted frames on the channel's connection; resolves once the connection took them. */
  const write = async (lines: readonly Buffer[], channel: Channel & { kind: 'syslog' }, signal: AbortSignal): Promise<number> => {
    const socket = await connection(channel, signal);
    const framed = Buffer.concat(lines.flatMap((line) => [Buffer.from(`${line.length} `), line]));
    await new Promise<void>((resolve, reject) => {
      socket.write(framed, (err) => (err ? reject(err) : resolve()));
    }).catch((err: unknown) => {
      socket.destroy();
      throw err;
    });
    return framed.length;
  };

  return {
    async send(event, channel, signal) {
      if (channel.kind !== 'syslog') throw new LifelineError('validation', `channel ${channel.id} is not a syslog channel`);
      const line = Buffer.from(syslogLine(event), 'utf8');
      const s = channel.settings;
      if (s.transport === 'udp') {
        await sendDatagram(s, line);
        return `UDP ${line.length} bytes`;
      }
      return `${s.transport.toUpperCase()} ${await write([line], channel, signal)} bytes`;
    },
    // Over TCP and TLS, the messages due together go in one write on the kept connection (each
    // still its own octet-counted frame); over UDP each is its own datagram, as RFC 5426 has it.
    async sendBatch(events, channel, signal) {
      if (channel.kind !== 'syslog') throw new LifelineError('validation', `channel ${channel.id} is not a syslog channel`);
      const lines = events.map((e) => Buffer.from(syslogLine(e), 'utf8'));
      const s = channel.settings;
      if (s.transport === 'udp') {
        for (const line of lines) await sendDatagram(s, line);
        return `UDP ${lines.length} messages`;
      }
      return `${s.transport.toUpperCase()} ${lines.length} messages, ${await write(lines, channel, signal)} bytes`;
    },
    maxBatch: 200,
    // One write on the connection while the next batch gathers: frames due meanwhile go together.
    maxInFlight: 2,
    close() {
      for (const c of connections.values()) void c.socket.then((s) => s.destroy(), () => undefined);
      connections.clear();
    },
  };
}

function connectStream(s: SyslogSettings, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      s.transport === 'tls'
        ? tlsConnect({ host: s.host, port: s.port, servername: /^[\d.:]+$/.test(s.host) ? undefined : s.host, ...(s.caPem ? { ca: s.caPem } : {}) })
        : tcpConnect({ host: s.host, port: s.port });
    const onAbort = () => socket.destroy(new LifelineError('delivery-failed', `no connection to ${s.host}:${s.port} in time`));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once(s.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(socket);
    });
    socket.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

function sendDatagram(s: SyslogSettings, line: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(s.host.includes(':') ? 'udp6' : 'udp4');
    socket.send(line, s.port, s.host, (err) => {
      socket.close();
      if (err) reject(err);
      else resolve();
    });
  });
}
