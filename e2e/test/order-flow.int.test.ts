import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { orderSubject } from '@tandem/contracts';
import { orderIdFor } from '@tandem/orders';
import { AppProcess, NatsServer, TEST_ORDER_ID_SECRET, waitFor, waitForPortClosed } from '@tandem/testing';
import { readStream } from './support/order-audit';

interface OrderBody {
  id: string;
  status: string;
  version: string;
  estimatedDelivery?: string;
}

/**
 * The order flow through the built order and consumer services with a real nats-server:
 * POST → orders.created.<id> → fulfilment → orders.fulfilled.<id> → GET says fulfilled.
 * The stored events are the order (docs/decisions/0012).
 */
describe('order flow: order service + consumer + NATS', () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let order: AppProcess;
  let consumer: AppProcess;

  beforeAll(async () => {
    nats = await NatsServer.start();
    order = await AppProcess.start('order', { env: { NATS_URL: nats.url, SERVICE_VERSION: 'v2' } });
    consumer = await AppProcess.start('consumer', { env: { NATS_URL: nats.url } });
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await order?.stop();
    await consumer?.stop();
    await nc?.close();
    await nats?.cleanup();
  });

  const post = (body: unknown, key?: string) =>
    fetch(`${order.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  const createdEvents = async () => (await readStream(nc, 'ORDERS')).filter((m) => m.subject.startsWith('orders.created.')).length;
  const idFor = (key: string) => orderIdFor(key, TEST_ORDER_ID_SECRET);

  it('creates an order that reaches fulfilled, stamped with the creating version', async () => {
    const response = await post({ sku: 'ABC-1', qty: 2, customerId: 'c-42' }, 'flow-1');
    expect(response.status).toBe(201);
    expect(response.headers.get('x-order-version')).toBe('v2');
    const created = (await response.json()) as OrderBody;
    expect(response.headers.get('location')).toBe(`/orders/${created.id}`);
    expect(created.id).toBe(idFor('flow-1'));
    expect(created).toMatchObject({ status: 'accepted', version: 'v2' });
    expect(created.estimatedDelivery).toMatch(/^\d{4}-\d\d-\d\d$/);
    const fulfilled = await waitFor(
      async () => {
        const r = (await (await fetch(`${order.url}/orders/${created.id}`)).json()) as OrderBody;
        return r.status === 'fulfilled' ? r : undefined;
      },
      { description: 'the order to be fulfilled' },
    );
    expect(fulfilled.id).toBe(created.id);
    // one write per order and one per fulfilment, each on the order's own subject
    const stored = (await readStream(nc, 'ORDERS')).filter((m) => m.subject.endsWith(`.${created.id}`)).map((m) => m.subject);
    expect(stored).toEqual([orderSubject('created', created.id), orderSubject('fulfilled', created.id)]);
  });

  it('the same Idempotency-Key twice gives one order and one event; another body is 409', async () => {
    const before = await createdEvents();
    const first = (await (await post({ sku: 'SAME', qty: 1 }, 'flow-2')).json()) as OrderBody;
    const again = await post({ sku: 'SAME', qty: 1 }, 'flow-2');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as OrderBody).id).toBe(first.id);
    expect(await createdEvents()).toBe(before + 1);
    const conflict = await post({ sku: 'SAME', qty: 2 }, 'flow-2');
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
  });

  it('unknown ids are 404 and invalid input is a 400 naming the fields, storing nothing', async () => {
    const before = await createdEvents();
    expect((await fetch(`${order.url}/orders/${idFor('never-used')}`)).status).toBe(404);
    const bad = await post({ sku: 'no spaces allowed', qty: 0 }, 'flow-bad');
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { errors: Array<{ field: string }> };
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['qty', 'sku']);
    expect(await createdEvents()).toBe(before);
  });

  it('an order written to the stream by another instance is served at once, and fulfilled (no read model to fill)', async () => {
    const id = idFor('written-elsewhere');
    const event = { eventVersion: 1, orderId: id, sku: 'ELSEWHERE', qty: 1, createdAt: new Date().toISOString(), serviceVersion: 'v1' };
    await jetstream(nc).publish(orderSubject('created', id), JSON.stringify(event));
    const served = await fetch(`${order.url}/orders/${id}`);
    expect(served.status).toBe(200);
    expect(((await served.json()) as OrderBody).version).toBe('v1');
    await waitFor(async () => ((await (await fetch(`${order.url}/orders/${id}`)).json()) as OrderBody).status === 'fulfilled', {
      description: 'the order to be fulfilled',
    });
  });

  it('with NATS down, POST answers 503 with Retry-After within its timeout, and the order never appears', async () => {
    await nats.kill();
    await waitForPortClosed(nats.port);
    try {
      await order.waitForStatus('/readyz', 503);
      const started = Date.now();
      const response = await post({ sku: 'DOWN', qty: 1 }, 'flow-down');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await nats.restart();
    }
    await order.waitForStatus('/readyz', 200, 30_000);
    await consumer.waitForStatus('/readyz', 200, 30_000);
    const id = idFor('flow-down');
    expect((await fetch(`${order.url}/orders/${id}`)).status).toBe(404);
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    expect(await jsm.streams.getMessage('ORDERS', { last_by_subj: orderSubject('created', id) })).toBeNull();
  });
});
