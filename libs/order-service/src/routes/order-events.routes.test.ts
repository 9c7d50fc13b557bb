import type { Order } from '@tandem/orders';
import { EventStreamHub } from '@tandem/http';
import { RuntimeError } from '@tandem/runtime';
import { EventStreamClient, waitFor } from '@tandem/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import type { ChangeHint } from '../status/order-change-feed';
import { orderEventsRoutes } from './order-events.routes';

const ID = '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d';
const accepted: Order = {
  id: ID,
  sku: 'SSE-1',
  qty: 1,
  status: 'accepted',
  createdAt: '2026-12-05T10:00:00.000Z',
  updatedAt: '2026-12-05T10:00:00.000Z',
  version: 'v1',
};
const fulfilled: Order = { ...accepted, status: 'fulfilled', updatedAt: '2026-12-05T10:00:01.000Z' };

/**
 * The route's own logic against stand-ins for what JetStream answers: a cluster's leader
 * election (reads failing for a while) and a change published on another server before this
 * watch's interest reached it (no hint at all) cannot be produced with one local nats-server.
 * The real adapters are tested against nats-server in test/order-events.int.test.ts.
 */
describe('GET /orders/:id/events when JetStream misbehaves', () => {
  let app: FastifyInstance;
  let hub: EventStreamHub;
  let url: string;
  let reads: Array<Order | Error>;
  let calls: number;
  const listeners: Array<(hint: ChangeHint) => void> = [];

  beforeEach(async () => {
    calls = 0;
    listeners.length = 0;
    hub = new EventStreamHub({ maxStreams: 10 });
    await hub.start({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });
    app = Fastify({ logger: false });
    await app.register(orderEventsRoutes, {
      // Each read takes the next answer; the last one repeats.
      log: {
        latest: async () => {
          const answer = reads[Math.min(calls++, reads.length - 1)];
          if (answer instanceof Error) throw answer;
          return answer;
        },
      },
      changes: {
        watch: async (_id, listener) => {
          listeners.push(listener);
          return () => undefined;
        },
      },
      streams: hub,
    });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await hub.stop({ at: Date.now() + 1_000, remaining: () => 1_000, signal: AbortSignal.timeout(1_000) });
    await app.close();
  });

  it('keeps reading, backing off, when a read fails, so a hint used up by a failed read is not lost', async () => {
    const unavailable = new RuntimeError('TANDEM_ERR_NATS_UNAVAILABLE', 'no JetStream leader');
    reads = [accepted, accepted, unavailable, unavailable, fulfilled];
    const client = await EventStreamClient.open(`${url}/orders/${ID}/events`);
    await client.waitForEvents(1);
    listeners[0]?.('message'); // the fulfilment's hint: its read (and the next) fail
    expect(await client.ended).toBe('end');
    expect(client.names()).toEqual(['accepted', 'fulfilled']);
    expect(calls).toBeGreaterThanOrEqual(5);
  });

  it('reads again shortly after opening, so a change that came with no hint still arrives', async () => {
    reads = [accepted, fulfilled];
    const client = await EventStreamClient.open(`${url}/orders/${ID}/events`);
    expect(await client.ended).toBe('end');
    expect(client.names()).toEqual(['accepted', 'fulfilled']);
    expect(listeners).toHaveLength(1);
    await waitFor(() => hub.size === 0, { description: 'the stream forgotten' });
  });
});
