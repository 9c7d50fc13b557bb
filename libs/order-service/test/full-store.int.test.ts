import { jetstreamManager } from '@nats-io/jetstream';
import { orderSubject, Topology } from '@tandem/contracts';
import { ensureTopology, NatsConnectionComponent, Publisher } from '@tandem/messaging';
import { orderIdFor } from '@tandem/orders';
import { deadlineIn, Supervisor, type StartContext } from '@tandem/runtime';
import { createServiceMetrics } from '@tandem/telemetry';
import { NatsServer } from '@tandem/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { JetStreamOrderLog } from '../src/adapters/jetstream-order-log';
import { buildOrderApp } from '../src/app';

const SECRET = 'a-test-secret-for-the-full-store-0123456789';
const ctx = (): StartContext => ({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });

/**
 * A full store: ORDERS with the shipped settings (`discard: new`) but a byte
 * limit of 16 KiB, so a few dozen orders fill it, on a real nats-server. The order API runs
 * in process (its app with the JetStream order log); the stream is declared here, since the
 * service would declare the shipped 256 MiB.
 */
describe('order API on a full ORDERS stream', () => {
  let server: NatsServer;
  let nats: NatsConnectionComponent;
  let app: FastifyInstance;

  beforeAll(async () => {
    server = await NatsServer.start();
    nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'full-store-test' });
    await nats.start(ctx());
    await ensureTopology(await nats.whenConnected(), { streams: [{ ...Topology.ordersStream, maxBytes: 16 * 1024 }] }, { replicas: 1 });
    const logger = pino({ level: 'silent' });
    app = buildOrderApp({
      logger,
      health: new Supervisor({ logger, shutdownDelayMs: 0, shutdownTimeoutMs: 1_000 }),
      metrics: createServiceMetrics({ service: 'order', version: 'v1' }),
      log: new JetStreamOrderLog(new Publisher(nats, { ackTimeoutMs: 2_000 }), nats),
      orderIds: (key) => orderIdFor(key, SECRET),
      version: 'v1',
    });
  });
  afterAll(async () => {
    await app?.close();
    await nats?.stop(deadlineIn(5_000));
    await server?.cleanup();
  });

  const post = (key: string) =>
    app.inject({ method: 'POST', url: '/orders', headers: { 'idempotency-key': key }, payload: { sku: 'FULL-1', qty: 1 } });

  it('answers 503 with Retry-After once full, never a 201 that was not stored nor another 5xx, and takes orders again when space frees', async () => {
    const jsm = await jetstreamManager(await nats.whenConnected());
    const stored = async (key: string) =>
      (await jsm.direct.getMessage('ORDERS', { last_by_subj: orderSubject('created', orderIdFor(key, SECRET)) })) !== null;
    const answers: Array<{ key: string; status: number }> = [];
    for (let i = 0; i < 200 && !answers.some((a) => a.status === 503); i++) {
      const key = `full-${i}`;
      const response = await post(key);
      answers.push({ key, status: response.statusCode });
      if (response.statusCode === 503) {
        expect(response.headers['retry-after']).toBe('2');
        expect(response.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
        expect(response.json().detail).toMatch(/maximum bytes exceeded/i);
      }
    }
    // The stream filled up (the loop stopped at the first 503), and it was full, not broken.
    expect(answers.at(-1)?.status).toBe(503);
    expect(answers.slice(0, -1).every((a) => a.status === 201)).toBe(true);
    expect(answers.length).toBeGreaterThan(10);
    // Every 201 is a stored order; the refused one is not.
    for (const { key, status } of answers) expect({ key, stored: await stored(key) }).toEqual({ key, stored: status === 201 });
    // Still full: refused again, the same way.
    expect((await post('full-again')).statusCode).toBe(503);

    // Space frees (retention, or an operator's purge): the refused order can be placed now.
    await jsm.streams.purge('ORDERS');
    const retried = answers.at(-1)?.key ?? '';
    expect((await post(retried)).statusCode).toBe(201);
    expect(await stored(retried)).toBe(true);
  });
});
