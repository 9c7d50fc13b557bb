import { connect, createServer } from 'node:net';
import { delay } from '@tandem/runtime';

/** Resolves once `url` answers 200; polls every 100 ms until `signal` aborts. */
export async function waitForHttp(url: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // not up yet
    }
    await delay(100, signal).catch(() => undefined);
  }
  throw signal.reason;
}

/** Resolves once a TCP connection to host:port succeeds; polls until `signal` aborts. */
export async function waitForTcp(host: string, port: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await delay(100, signal).catch(() => undefined);
  }
  throw signal.reason;
}

/** True when nothing listens on host:port (we could bind it). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port }, () => server.close(() => resolve(true)));
  });
}
