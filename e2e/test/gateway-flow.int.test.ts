import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { AppProcess, NatsServer, waitFor } from '@tandem/testing';

interface OrderBody {
  id: string;
  status: string;
}

/** The public API: gateway → order (HTTP) → NATS → consumer, all built apps as real processes. */
describe('gateway: the public order API end to end', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let order: AppProcess;
  let consumer: AppProcess;
  let gateway: AppProcess;

  beforeAll(async () => {
    nats = await NatsServer.start();
    order = await AppProcess.start('order', { env: { NATS_URL: nats.url } });
    consumer = await AppProcess.start('consumer', { env: { NATS_URL: nats.url } });
    gateway = await AppProcess.start('gateway', { env: { ORDER_URL: order.url } });
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await gateway?.stop();
    await order?.stop();
    await consumer?.stop();
    await nc?.close();
    await nats?.cleanup();
  });

  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(15_000),
    });
  const createdEvents = async () =>
    Object.keys((await jsm.streams.info('ORDERS', { subjects_filter: 'orders.created.*' })).state.subjects ?? {}).length;

  it('POST /orders → 201 with Location and x-order-version; GET reaches fulfilled; security headers are set', async () => {
    const response = await send('POST', '/orders', JSON.stringify({ sku: 'GW-1', qty: 3 }), { 'idempotency-key': 'gw-1' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-order-version')).toBe('v1');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const created = (await response.json()) as OrderBody;
    expect(response.headers.get('location')).toBe(`/orders/${created.id}`);
    await waitFor(
      async () => {
        const r = await send('GET', `/orders/${created.id}`);
        return r.headers.get('x-order-version') === 'v1' && ((await r.json()) as OrderBody).status === 'fulfilled';
      },
      { description: 'fulfilled through the gateway' },
    );
    const replay = await send('POST', '/orders', JSON.stringify({ sku: 'GW-1', qty: 3 }), { 'idempotency-key': 'gw-1' });
    expect(((await replay.json()) as OrderBody).id).toBe(created.id);
    expect((await send('POST', '/orders', JSON.stringify({ sku: 'GW-1', qty: 4 }), { 'idempotency-key': 'gw-1' })).status).toBe(409);
  });

  it('answers 404 for unknown orders and routes, 405 with Allow for wrong methods, 413 beyond 16 KiB', async () => {
    expect((await send('GET', '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d')).status).toBe(404);
    expect((await send('GET', '/nowhere')).status).toBe(404);
    const wrong = await send('DELETE', '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    const huge = await send('POST', '/orders', JSON.stringify({ sku: 'X', qty: 1, customerId: 'c'.repeat(17 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.headers.get('content-type')).toContain('application/problem+json');
  });

  it('serves an OpenAPI document generated from the validating schemas', async () => {
    const doc = (await (await send('GET', '/openapi.json')).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/orders', '/orders/{id}']));
    const post = doc.paths['/orders']?.['post'] as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, { maxLength?: number; maximum?: number }> } }> };
    };
    const schema = post.requestBody.content['application/json']?.schema;
    expect(schema?.properties['sku']?.maxLength).toBe(64);
    expect(schema?.properties['qty']?.maximum).toBe(1000);
    // The event stream: an event-stream body, the Last-Event-ID header with the statuses it takes.
    const events = doc.paths['/orders/{id}/events']?.['get'] as {
      parameters: Array<{ in: string; name: string; schema: { enum?: string[] } }>;
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(Object.keys(events.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(events.parameters.find((p) => p.in === 'header' && p.name === 'last-event-id')?.schema.enum).toEqual(['accepted', 'fulfilled']);
  });

  it('bad input of any shape gets a clear 4xx problem, never a 5xx, and no rejected request stores an order (property-based)', async () => {
    const before = await createdEvents();
    let accepted = 0;
    const hostile = fc.oneof(
      fc.json(),
      fc.record({
        sku: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        qty: fc.oneof(fc.double(), fc.string(), fc.integer({ min: -5, max: 0 }), fc.integer({ min: 1001 })),
      }),
      fc.record({ sku: fc.constant('OK'), qty: fc.constant(1), __proto__: fc.object() }),
      fc.constantFrom(
        '{"sku":"OK","qty":1,"constructor":{"prototype":{"x":1}}}',
        '{"__proto__":{"admin":true},"sku":"OK","qty":1}',
        '{"sku":"OK",',
        '\u0000',
        '[]',
        'null',
      ),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (input) => {
        const body = typeof input === 'string' ? input : JSON.stringify(input);
        const r = await send('POST', '/orders', body);
        if (r.status === 201) {
          accepted += 1; // the generators can produce a valid order now and then: it is stored once
          return;
        }
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }),
      { numRuns: 150 },
    );
    // invalid UTF-8 bytes
    const bytes = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
    });
    expect(bytes.status).toBe(400);
    // exactly the accepted ones were stored: no 4xx ever left an order behind
    await waitFor(async () => (await createdEvents()) === before + accepted, {
      description: `${accepted} stored orders`,
      timeoutMs: 5_000,
    });
    expect(await createdEvents()).toBe(before + accepted);
  });

  it('GET /orders/:id answers 400, 404 or 414 with a problem body for any id, never a 5xx (property-based, seeded)', async () => {
    // Five 5xx in a row eject a pod from the mesh's load balancing (deploy/istio outlier
    // detection): no id a client can send may cause one.
    const ids = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.uuid(),
      fc.uuid().map((id) => `urn:uuid:${id}`),
      fc.uuid().map((id) => id.toUpperCase()),
      fc.uuid().map((id) => `{${id}}`),
      fc.uuid().map((id) => id.replace(/-/g, '')),
      fc.constantFrom(
        '*',
        '>',
        'a.b',
        '..',
        '%00',
        '%2e%2e',
        'orders.created.*',
        ' ',
        '\u0000',
        '%ED%A0%80',
        '%E0%A4%A',
        'x'.repeat(10 * 1024),
      ),
      fc.string({ minLength: 200, maxLength: 2_000 }),
    );
    await fc.assert(
      fc.asyncProperty(ids, fc.boolean(), async (id, encode) => {
        // Raw ids that fetch cannot put into a URL (spaces, '#', '?', '/') are only sent encoded.
        const path = encode || !/^[A-Za-z0-9._~:@!$&'()*+,;=%-]+$/.test(id) ? encodeURIComponent(id) : id;
        const r = await send('GET', `/orders/${path}`);
        expect({ id, status: r.status }).toEqual({ id, status: expect.any(Number) });
        expect([400, 404, 414]).toContain(r.status); // 414: longer than the router takes for a path parameter
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }),
      { numRuns: 300, seed: 20261205 },
    );
  });

  it('answers 503 with Retry-After when the order service is down, without hanging', async () => {
    await order.stop();
    const response = await send('POST', '/orders', JSON.stringify({ sku: 'DOWN', qty: 1 }));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect((await send('GET', '/readyz')).status).toBe(200); // no cascading unreadiness
  });
});
