/**
 * An HTTP response as the byte sink of a disk export: the status and headers go out with the first
 * byte (so that a failure before it can still be answered with a problem), and each write waits
 * until the socket has taken the bytes, which is the export's back-pressure.
 */
import type { Response } from 'express';
import type { ByteSink } from '../../export/index.js';

export class ResponseSink implements ByteSink {
  private begun = false;

  constructor(
    private readonly res: Response,
    private readonly begin: () => void,
  ) {}

  get started(): boolean {
    return this.begun;
  }

  start(): void {
    if (this.begun) return;
    this.begun = true;
    this.begin();
  }

  write(data: Uint8Array, signal: AbortSignal): Promise<void> {
    this.start();
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      // The callback runs once the socket has taken the bytes: only then may the buffer be reused.
      this.res.write(data, (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      });
    });
  }
}
