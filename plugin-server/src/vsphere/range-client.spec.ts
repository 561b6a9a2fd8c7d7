import https from 'node:https';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generate } from 'selfsigned';
import { RangeClient } from './range-client.js';
import { ThumbprintMismatchError } from './vim-errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

describe('RangeClient', () => {
  const data = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 7) & 0xff));
  let server: https.Server;
  let origin: string;
  let thumbprint: string;
  let connections = 0;
  let requests = 0;
  let handler: Handler;

  const serveRange: Handler = (req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(400).end('no range');
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), data.length - 1);
    if (start >= data.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
      return;
    }
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${data.length}`, 'Content-Length': end - start + 1 });
    res.end(data.subarray(start, end + 1));
  };

  beforeAll(async () => {
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keyType: 'ec', algorithm: 'sha256' } as Parameters<typeof generate>[1]);
    thumbprint = new X509Certificate(pems.cert).fingerprint256;
    server = https.createServer({ key: pems.private, cert: pems.cert, keepAliveTimeout: 10_000 }, (req, res) => {
      requests++;
      handler(req, res, requests);
    });
    server.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  let client: RangeClient;
  beforeEach(() => {
    connections = 0;
    requests = 0;
    handler = serveRange;
    client = new RangeClient({ origin, thumbprint, maxConnections: 2, connectTimeoutMs: 5000 });
  });
  afterEach(() => {
    client.close();
    server.closeAllConnections();
  });

  const get = (offset: number, length: number, signal?: AbortSignal): Promise<{ buf: Buffer; status: number; bytes: number; body: string }> => {
    const buf = Buffer.alloc(length);
    return client.get({ path: '/disk', offset, target: buf, headers: { Cookie: 'vmware_soap_session="x"' }, signal }).then((r) => ({ buf, ...r }));
  };

  it('copies each range into the target, on one kept-alive connection', async () => {
    for (const [offset, length] of [
      [0, 1000],
      [12345, 300_000],
      [(1 << 20) - 10, 10],
    ] as const) {
      const r = await get(offset, length);
      expect(r.status).toBe(206);
      expect(r.bytes).toBe(length);
      expect(r.buf.equals(data.subarray(offset, offset + length))).toBeTrue();
    }
    expect(connections).toBe(1);
  });

  it('lands a body in a view of shared memory without touching the bytes around it', async () => {
    const memory = Buffer.from(new SharedArrayBuffer(800_000)).fill(0xee);
    const target = memory.subarray(1000, 1000 + 700_000);
    const r = await client.get({ path: '/disk', offset: 333, target, headers: {} });
    expect(r.bytes).toBe(700_000);
    expect(target.equals(data.subarray(333, 333 + 700_000))).toBeTrue();
    expect(memory.subarray(0, 1000).every((b) => b === 0xee)).toBeTrue();
    expect(memory.subarray(701_000).every((b) => b === 0xee)).toBeTrue();
    // The connection goes on with the next reply after a body read in place.
    expect((await get(5, 20)).buf.equals(data.subarray(5, 25))).toBeTrue();
  });

  it('returns a short count at the end of the file and the status of an error', async () => {
    const tail = await get((1 << 20) - 10, 100);
    expect(tail.bytes).toBe(10);
    const beyond = await get(2 << 20, 100);
    expect(beyond.status).toBe(416);
    handler = (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.write('no such ');
      res.end('file'); // chunked: the connection is not reused
    };
    const missing = await get(0, 10);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('');
    handler = serveRange;
    expect((await get(0, 10)).bytes).toBe(10);
  });

  it('does not read a whole file from a server that ignores the range', async () => {
    const size = 64 << 20;
    // The server writes the body a MiB at a time as the connection takes it, and counts what it
    // handed over until the connection closed: a client that drains it takes all 64 MiB.
    let handedOver: Promise<number> = Promise.resolve(size);
    handler = (_req, res) => {
      handedOver = new Promise((resolve) => {
        let written = 0;
        res.once('close', () => resolve(written));
        res.writeHead(200, { 'Content-Length': size });
        const more = (): void => {
          while (written < size && !res.destroyed) {
            written += 1 << 20;
            if (!res.write(Buffer.alloc(1 << 20))) return void res.once('drain', more);
          }
          if (written >= size) res.end();
        };
        more();
      });
    };
    const r = await get(0, 10);
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(0);
    // The client dropped the connection instead of reading a body it did not ask for.
    expect(await handedOver).toBeLessThan(size / 2);
  });

  it('repeats a request once when a kept-alive connection turns out to be dead', async () => {
    await get(0, 10);
    handler = (req, res, n) => {
      if (n === 2) req.socket.destroy();
      else serveRange(req, res, n);
    };
    const r = await get(100, 10);
    expect(r.buf.equals(data.subarray(100, 110))).toBeTrue();
    expect(requests).toBe(3);
    expect(connections).toBe(2);
  });

  it('keeps to its connection limit', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => get(i * 1000, 1000)));
    for (const [i, r] of results.entries()) expect(r.buf.equals(data.subarray(i * 1000, i * 1000 + 1000))).toBeTrue();
    expect(connections).toBeLessThanOrEqual(2);
  });

  it('stops a transfer when the caller aborts, and goes on working', async () => {
    handler = (_req, res) => {
      res.writeHead(206, { 'Content-Range': `bytes 0-999/${data.length}`, 'Content-Length': 1000 });
      res.write(data.subarray(0, 100)); // and never the rest
    };
    const err: unknown = await get(0, 1000, AbortSignal.timeout(100)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe('TimeoutError');
    handler = serveRange;
    expect((await get(0, 10)).bytes).toBe(10);
  });

  it('refuses a server with another certificate before sending a request', async () => {
    const other = new RangeClient({ origin, thumbprint: thumbprint.replace(/^../, thumbprint.startsWith('00') ? '11' : '00'), maxConnections: 1, connectTimeoutMs: 5000 });
    const err: unknown = await other.get({ path: '/disk', offset: 0, target: Buffer.alloc(10), headers: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    other.close();
    expect(err).toBeInstanceOf(ThumbprintMismatchError);
    expect(requests).toBe(0);
  });
});
