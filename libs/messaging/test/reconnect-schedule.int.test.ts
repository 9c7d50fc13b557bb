import { deadlineIn } from '@tandem/runtime';
import { NatsServer, waitFor, waitForPortClosed } from '@tandem/testing';
import pino from 'pino';
import { NatsConnectionComponent } from '../src/nats-connection.component';

describe('reconnect schedule with the default backoff (1 s, 2 s, ×1.5 …)', () => {
  it('is back within a few seconds of a short outage, not after the schedule ran ahead of itself', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'schedule' });
    await nats.start({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });
    try {
      await waitFor(() => nats.health().ready, { description: 'connected' });
      await server.kill();
      await waitForPortClosed(server.port);
      await waitFor(() => !nats.health().ready, { description: 'disconnected' });
      await server.restart();
      // Outage about a second: dials at ~0, ~1 s, ~3 s, ~6 s after the loss. nats.js asks the
      // delay handler several times per dial; a handler that advanced its schedule on every
      // call reached the 30 s cap and reconnected only after ~30 s (seen before this fix).
      await waitFor(() => nats.health().ready, { description: 'reconnected on the default schedule', timeoutMs: 12_000, intervalMs: 50 });
      expect(nats.health().detail).toBe(`connected to 127.0.0.1:${server.port}`);
    } finally {
      await nats.stop(deadlineIn(2_000));
      await server.cleanup();
    }
  });
});
