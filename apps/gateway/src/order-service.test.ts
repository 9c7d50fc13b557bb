import { Supervisor } from '@tandem/runtime';
import { createServiceMetrics } from '@tandem/telemetry';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import pino from 'pino';
import { buildGatewayApp } from './app';
import { InProcessOrderClient } from './in-process-order-client';
import { OrderClient } from './order-client';
import type { OrderService } from './order-service';

const KNOWN = '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d';
const SLOW = '7d1c1a52-9b7e-4a39-8f0e-6a5c3f1e2d4b';
const PROBLEM = 'application/problem+json; charset=utf-8';

/**
 * A stand-in for the order service (the gateway may not import the real one): it answers the
 * way order does — Location, x-order-version, idempotent-replayed, problem bodies — plus
 * headers that must never reach a client, and echoes what it received.
 */
function stubOrderService(): { app: FastifyInstance; releaseSlow: () => void } {
  const app = Fastify();
  const gate: { release?: () => void } = {};
  const slow = new Promise<void>((resolve) => (gate.release = resolve));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-order-version', 'v9').header('x-internal', 'secret').header('set-cookie', 'session=1');
  });
  app.post('/orders', async (request, reply) => {
    const body = request.body as { sku: string; qty: number };
    const key = request.headers['idempotency-key'];
    if (body.sku === 'CONFLICT')
      return reply.code(409).type('application/problem+json').send({ type: 'about:blank', title: 'Conflict', status: 409, detail: 'used' });
    if (body.sku === 'BUSY')
      return reply
        .code(503)
        .header('retry-after', '2')
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'NATS unavailable' });
    if (body.sku === 'PROXY')
      return reply
        .code(503)
        .type('text/plain')
        .send('upstream connect error or disconnect/reset before headers. reset reason: connection failure, 10.244.1.7:3001');
    if (key === 'replayed') reply.header('idempotent-replayed', 'true');
    return reply
      .code(201)
      .header('location', `/orders/${KNOWN}`)
      .send({
        id: KNOWN,
        ...body,
        key: key ?? null,
        contentType: request.headers['content-type'],
        requestId: request.headers['x-request-id'],
      });
  });
  app.get('/orders/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (id === SLOW) await slow;
    if (id !== KNOWN)
      return reply
        .code(404)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: `order ${id} does not exist` });
    return { id, status: 'accepted', requestId: request.headers['x-request-id'] };
  });
  return { app, releaseSlow: () => gate.release?.() };
}

function gatewayWith(orders: OrderService): FastifyInstance {
  const logger = pino({ level: 'silent' });
  const app = buildGatewayApp({
    logger,
    health: new Supervisor({ logger, shutdownDelayMs: 0, shutdownTimeoutMs: 1_000 }),
    metrics: createServiceMetrics({ service: 'gateway', version: 'v1' }),
    orders,
    version: 'v1',
    rateLimitMax: 100,
    rateLimitWindowMs: 0,
  });
  app.addHook('onClose', () => orders.close());
  return app;
}

/** What a client sees of a gateway answer. */
async function exchange(gateway: FastifyInstance, request: InjectOptions) {
  const r = await gateway.inject(request);
  const pick = ['content-type', 'location', 'x-order-version', 'idempotent-replayed', 'retry-after', 'x-internal', 'set-cookie'];
  return {
    status: r.statusCode,
    headers: Object.fromEntries(pick.filter((h) => r.headers[h] !== undefined).map((h) => [h, r.headers[h]])),
    body: r.json(),
  };
}

const requests: InjectOptions[] = [
  { method: 'POST', url: '/orders', payload: { sku: 'A-1', qty: 2 }, headers: { 'idempotency-key': 'k-1', 'x-request-id': 'edge-1' } },
  { method: 'POST', url: '/orders', payload: { sku: 'A-1', qty: 2 }, headers: { 'x-request-id': 'r-2', 'idempotency-key': 'replayed' } },
  { method: 'POST', url: '/orders', payload: { sku: 'A-1', qty: 2 }, headers: { 'x-request-id': 'r-3' } },
  { method: 'POST', url: '/orders', payload: { sku: 'CONFLICT', qty: 1 }, headers: { 'x-request-id': 'r-4' } },
  { method: 'POST', url: '/orders', payload: { sku: 'BUSY', qty: 1 }, headers: { 'x-request-id': 'r-5' } },
  { method: 'GET', url: `/orders/${KNOWN}`, headers: { 'x-request-id': 'edge-2' } },
  { method: 'GET', url: '/orders/5f0c3b7a-1d2e-4f60-8a9b-0c1d2e3f4a5b', headers: { 'x-request-id': 'r-7' } },
];

describe('the gateway routes over either OrderService: HTTP (OrderClient) and in process (InProcessOrderClient)', () => {
  let stub: ReturnType<typeof stubOrderService>;
  let baseUrl: string;
  beforeAll(async () => {
    stub = stubOrderService();
    baseUrl = await stub.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    stub.releaseSlow();
    await stub.app.close();
  });

  const implementations: Array<[string, () => OrderService]> = [
    ['HTTP', () => new OrderClient({ baseUrl })],
    ['in process', () => new InProcessOrderClient({ app: stub.app, accepting: () => true })],
  ];

  it.each(implementations)(
    '%s: relays status, body and only the allowed headers; forwards body, key, content type and the request id',
    async (_name, make) => {
      const gateway = gatewayWith(make());
      try {
        const created = await exchange(gateway, requests[0]);
        expect(created).toEqual({
          status: 201,
          headers: { 'content-type': 'application/json; charset=utf-8', location: `/orders/${KNOWN}`, 'x-order-version': 'v9' },
          body: { id: KNOWN, sku: 'A-1', qty: 2, key: 'k-1', contentType: 'application/json', requestId: 'edge-1' },
        });
        expect((await exchange(gateway, requests[1])).headers['idempotent-replayed']).toBe('true');
        expect((await exchange(gateway, requests[2])).body.key).toBeNull();
        const conflict = await exchange(gateway, requests[3]);
        expect(conflict).toMatchObject({
          status: 409,
          headers: { 'content-type': PROBLEM, 'x-order-version': 'v9' },
          body: { title: 'Conflict' },
        });
        const busy = await exchange(gateway, requests[4]);
        expect(busy).toMatchObject({
          status: 503,
          headers: { 'retry-after': '2', 'x-order-version': 'v9' },
          body: { detail: 'NATS unavailable' },
        });
        expect(await exchange(gateway, requests[5])).toMatchObject({ status: 200, body: { id: KNOWN, requestId: 'edge-2' } });
        // Without an incoming id the gateway's own (a UUID) is what order receives.
        const anonymous = { method: 'POST', url: '/orders', payload: { sku: 'A-1', qty: 2 } } as const;
        expect((await exchange(gateway, anonymous)).body.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
        expect(await exchange(gateway, requests[6])).toMatchObject({ status: 404, headers: { 'content-type': PROBLEM } });
      } finally {
        await gateway.close();
      }
    },
  );

  it('gives a client the same answers whichever implementation is in place', async () => {
    const answers = [];
    for (const [, make] of implementations) {
      const gateway = gatewayWith(make());
      try {
        answers.push(await Promise.all(requests.map((r) => exchange(gateway, r))));
      } finally {
        await gateway.close();
      }
    }
    expect(answers[1]).toEqual(answers[0]);
  });

  it('answers 503 with Retry-After, the same way, when the order service does not take requests', async () => {
    const stopped = stubOrderService();
    const stoppedUrl = await stopped.app.listen({ port: 0, host: '127.0.0.1' });
    await stopped.app.close(); // nothing listens on stoppedUrl any more
    const answers = [];
    for (const orders of [
      new OrderClient({ baseUrl: stoppedUrl, connectTimeoutMs: 2_000 }),
      new InProcessOrderClient({ app: stub.app, accepting: () => false }),
      new InProcessOrderClient({ app: stopped.app, accepting: () => true }), // inject() into a closed app rejects
    ]) {
      const gateway = gatewayWith(orders);
      try {
        answers.push(await exchange(gateway, requests[0]), await exchange(gateway, requests[5]));
      } finally {
        await gateway.close();
      }
    }
    for (const answer of answers) {
      expect(answer).toMatchObject({
        status: 503,
        headers: { 'content-type': PROBLEM, 'retry-after': '2' },
        body: { type: 'about:blank', title: 'Service Unavailable', status: 503 },
      });
      expect(answer.headers['x-order-version']).toBeUndefined();
      expect(answer.body.detail).toMatch(/^order service unavailable: /);
    }
  });

  it('in process: an order service that does not answer within the timeout is a 503, never a hang', async () => {
    const gateway = gatewayWith(new InProcessOrderClient({ app: stub.app, accepting: () => true }, { requestTimeoutMs: 100 }));
    try {
      const answer = await exchange(gateway, { method: 'GET', url: `/orders/${SLOW}` });
      expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '2' } });
      expect(answer.body.detail).toBe('order service unavailable: no answer within 100 ms');
    } finally {
      await gateway.close();
    }
  });

  it.each(implementations)(
    '%s: a 5xx without a problem body (a proxy error page) becomes the gateway’s own 503 problem, leaking nothing',
    async (_name, make) => {
      const gateway = gatewayWith(make());
      try {
        const answer = await exchange(gateway, { method: 'POST', url: '/orders', payload: { sku: 'PROXY', qty: 1 } });
        expect(answer).toMatchObject({
          status: 503,
          headers: { 'content-type': PROBLEM, 'retry-after': '2' },
          body: { title: 'Service Unavailable', status: 503, detail: 'order service unavailable: answered 503 without a problem body' },
        });
        expect(JSON.stringify(answer)).not.toMatch(/upstream|10\.244/);
      } finally {
        await gateway.close();
      }
    },
  );
});
