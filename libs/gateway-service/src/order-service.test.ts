import { EventStreamHub } from '@tandem/http';
import { Supervisor } from '@tandem/runtime';
import { createServiceMetrics } from '@tandem/telemetry';
import type { ServerResponse } from 'node:http';
import { EventStreamClient, waitFor } from '@tandem/testing';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import pino from 'pino';
import { buildGatewayApp } from './app';
import { InProcessOrderClient } from './in-process-order-client';
import { OrderClient } from './order-client';
import type { OrderService } from './order-service';

const KNOWN = '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d';
const SLOW = '7d1c1a52-9b7e-4a39-8f0e-6a5c3f1e2d4b';
const FLOOD = '3c9e1f0a-5b7d-4e2f-8a6c-1d0b9e8f7a6b';
/** How many bytes the flooding stream wrote before its socket pushed back (set per test). */
let flood: { resolve: (bytes: number) => void; written: Promise<number> };
const PROBLEM = 'application/problem+json; charset=utf-8';

/**
 * A stand-in for the order service (the gateway may not import the real one): it answers the
 * way order does — Location, x-order-version, idempotent-replayed, problem bodies — plus
 * headers that must never reach a client, and echoes what it received.
 */
function stubOrderService(): { app: FastifyInstance; releaseSlow: () => void; streams: StubStream[] } {
  const app = Fastify();
  const streams: StubStream[] = [];
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
        ...canaryOf(request),
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
    return { id, status: 'accepted', requestId: request.headers['x-request-id'], ...canaryOf(request) };
  });
  // An order event stream: the first event names what arrived; the test writes the rest.
  app.get('/orders/:id/events', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (id === FLOOD) {
      // Writes 128 MiB of events as fast as the gateway takes them; says how much it wrote
      // once it is done or the gateway has taken nothing for a second.
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = `data: ${'x'.repeat(1_024)}\n\n`;
      let written = 0;
      let stalled: NodeJS.Timeout | undefined;
      const pump = (): void => {
        clearTimeout(stalled);
        while (written < 128 * 1024 * 1024) {
          written += event.length;
          if (!reply.raw.write(event)) {
            stalled = setTimeout(() => flood.resolve(written), 1_000);
            reply.raw.once('drain', pump);
            return;
          }
        }
        flood.resolve(written);
      };
      reply.raw.once('close', () => clearTimeout(stalled));
      pump();
      return;
    }
    if (id !== KNOWN)
      return reply
        .code(404)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: `order ${id} does not exist` });
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'x-order-version': 'v9', 'x-internal': 'secret' });
    const seen = {
      requestId: request.headers['x-request-id'],
      lastEventId: request.headers['last-event-id'] ?? null,
      ...canaryOf(request),
    };
    reply.raw.write(`id: accepted\nevent: accepted\ndata: ${JSON.stringify(seen)}\n\n`);
    streams.push({ raw: reply.raw, closed: new Promise((resolve) => reply.raw.once('close', () => resolve())) });
  });
  return { app, releaseSlow: () => gate.release?.(), streams };
}

/** The `x-canary` the stub received, echoed only when there was one. */
function canaryOf(request: { headers: Record<string, string | string[] | undefined> }): { canary?: string | string[] } {
  const value = request.headers['x-canary'];
  return value === undefined ? {} : { canary: value };
}

interface StubStream {
  readonly raw: ServerResponse;
  /** Resolves when the gateway's side of the stream is gone. */
  readonly closed: Promise<void>;
}

function gatewayWith(orders: OrderService, streams: EventStreamHub = startedHub()): FastifyInstance {
  const logger = pino({ level: 'silent' });
  const app = buildGatewayApp({
    logger,
    health: new Supervisor({ logger, shutdownDelayMs: 0, shutdownTimeoutMs: 1_000 }),
    metrics: createServiceMetrics({ service: 'gateway', version: 'v1' }),
    orders,
    streams,
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

  it.each(implementations)(
    '%s: forwards the headers the mesh routes on (x-canary) on POST and GET, and not a malformed value',
    async (_name, make) => {
      const gateway = gatewayWith(make());
      try {
        const canary = { 'x-canary': 'always' };
        const post = { method: 'POST', url: '/orders', payload: { sku: 'A-1', qty: 2 }, headers: canary } as const;
        expect((await exchange(gateway, post)).body.canary).toBe('always');
        expect((await exchange(gateway, { method: 'GET', url: `/orders/${KNOWN}`, headers: canary })).body.canary).toBe('always');
        for (const bad of ['x'.repeat(65), 'al ways'])
          expect(
            (await exchange(gateway, { method: 'GET', url: `/orders/${KNOWN}`, headers: { 'x-canary': bad } })).body.canary,
          ).toBeUndefined();
        expect((await exchange(gateway, { method: 'GET', url: `/orders/${KNOWN}` })).body.canary).toBeUndefined();
      } finally {
        await gateway.close();
      }
    },
  );

  describe.each(implementations)('%s: GET /orders/:id/events', (_name, make) => {
    let hub: EventStreamHub;
    let gateway: FastifyInstance;
    let url: string;
    beforeEach(async () => {
      stub.streams.length = 0;
      hub = startedHub();
      gateway = gatewayWith(make(), hub);
      url = await gateway.listen({ port: 0, host: '127.0.0.1' });
    });
    afterEach(async () => {
      for (const s of stub.streams) s.raw.destroy();
      await hub.stop({ at: Date.now() + 1_000, remaining: () => 1_000, signal: AbortSignal.timeout(1_000) });
      await gateway.close();
    });

    it('relays each event as it comes, with the request id and Last-Event-ID carried, and ends when the order service ends', async () => {
      const client = await EventStreamClient.open(`${url}/orders/${KNOWN}/events`, {
        'x-request-id': 'edge-9',
        'last-event-id': 'accepted',
        'x-canary': 'always',
      });
      expect(client.status).toBe(200);
      expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(client.headers['x-order-version']).toBe('v9');
      expect(client.headers['x-internal']).toBeUndefined();
      // Not buffered: the first event is through while the order service's stream is still open.
      const [first] = await client.waitForEvents(1);
      expect(first).toMatchObject({ id: 'accepted', event: 'accepted' });
      // The mesh's routing header reaches the order service too (the VirtualService matches it on this hop).
      expect(JSON.parse(first?.data ?? '')).toEqual({ requestId: 'edge-9', lastEventId: 'accepted', canary: 'always' });
      const upstream = stub.streams[0];
      upstream?.raw.end('id: fulfilled\nevent: fulfilled\ndata: {}\n\n');
      expect(await client.ended).toBe('end');
      expect(client.names()).toEqual(['accepted', 'fulfilled']);
      await waitFor(() => hub.size === 0, { description: 'the gateway forgetting the stream' });
    });

    it('releases the order service’s stream when the client goes away', async () => {
      const client = await EventStreamClient.open(`${url}/orders/${KNOWN}/events`);
      await client.waitForEvents(1);
      client.close();
      await stub.streams[0]?.closed;
      await waitFor(() => hub.size === 0, { description: 'the gateway forgetting the stream' });
    });

    it('respects back-pressure: a client that does not read holds the order service back instead of the gateway buffering', async () => {
      flood = { resolve: () => undefined, written: Promise.resolve(0) };
      flood.written = new Promise((resolve) => (flood.resolve = resolve));
      const client = await EventStreamClient.open(`${url}/orders/${FLOOD}/events`);
      try {
        client.pause();
        // Without back-pressure the gateway would read all 128 MiB into memory for this client;
        // with it, the order service stops once the sockets' buffers between them are full.
        expect(await flood.written).toBeLessThan(48 * 1024 * 1024);
      } finally {
        client.close();
      }
    });

    it('bounds streams per client with a 503 problem and Retry-After, without calling the order service', async () => {
      const open = [
        await EventStreamClient.open(`${url}/orders/${KNOWN}/events`),
        await EventStreamClient.open(`${url}/orders/${KNOWN}/events`),
      ];
      await Promise.all(open.map((c) => c.waitForEvents(1)));
      const refused = await EventStreamClient.open(`${url}/orders/${KNOWN}/events`);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(JSON.parse(await refused.text())).toMatchObject({
        status: 503,
        detail: 'this client has 2 event streams open, the most allowed',
      });
      expect(stub.streams).toHaveLength(2);
      for (const c of open) c.close();
    });

    it('relays a 404 problem, and at shutdown tells open clients to reconnect and releases their upstreams', async () => {
      const missing = await EventStreamClient.open(`${url}/orders/5f0c3b7a-1d2e-4f60-8a9b-0c1d2e3f4a5b/events`);
      expect(missing.status).toBe(404);
      expect(JSON.parse(await missing.text())).toMatchObject({ title: 'Not Found' });
      const client = await EventStreamClient.open(`${url}/orders/${KNOWN}/events`);
      await client.waitForEvents(1);
      hub.beginShutdown(0);
      expect(await client.ended).toBe('end');
      expect(client.retries).toEqual([1_000]);
      await stub.streams[0]?.closed;
      const late = await EventStreamClient.open(`${url}/orders/${KNOWN}/events`);
      expect(late.status).toBe(200);
      expect(await late.ended).toBe('end');
      expect(late.retries).toEqual([1_000]);
      expect(stub.streams).toHaveLength(1); // handed off without asking the order service
    });
  });

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

/** The gateway's event streams, started as its supervisor would (2 per client, 10 in all). */
function startedHub(): EventStreamHub {
  const hub = new EventStreamHub({ maxStreams: 10, maxPerClient: 2 });
  void hub.start({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });
  return hub;
}
