/**
 * A loopback TCP proxy that cuts the link: it forwards connections to a target and, each time the
 * bytes sent towards the target pass the next of `dropAt`, destroys every open connection (both
 * sides), as a network outage does. The TLS inside is the two sites' own; the proxy sees only
 * ciphertext.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface DroppingProxy {
  url: string;
  drops: number;
  close(): Promise<void>;
}

export async function startDroppingProxy(targetPort: number, dropAt: readonly number[]): Promise<DroppingProxy> {
  const open = new Set<net.Socket>();
  const state = { forwarded: 0, drops: 0 };
  const pending = [...dropAt].sort((x, y) => x - y);
  const dropAll = () => {
    state.drops++;
    for (const s of open) s.destroy();
    open.clear();
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    open.add(client);
    open.add(upstream);
    const gone = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', gone).on('close', gone);
    upstream.on('error', gone).on('close', gone);
    client.on('data', (d: Buffer) => {
      state.forwarded += d.byteLength;
      upstream.write(d);
      if (pending.length > 0 && state.forwarded >= (pending[0] as number)) {
        pending.shift();
        dropAll();
      }
    });
    upstream.on('data', (d: Buffer) => client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get drops() {
      return state.drops;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
