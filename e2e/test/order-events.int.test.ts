import { AppProcess, EventStreamClient, NatsServer, waitFor } from '@tandem/testing';

type Readyz = { components: Array<{ name: string; detail?: string }> };

/**
 * `GET /orders/:id/events` through the public gateway: gateway → order (HTTP) → the order's
 * change feed, fulfilled by the consumer; all built apps as real processes, NATS with the
 * production users and permissions.
 */
describe('order event streams through the gateway', () => {
  let nats: NatsServer;
  let order: AppProcess;
  let gateway: AppProcess;
  let consumer: AppProcess | undefined;

  beforeAll(async () => {
    nats = await NatsServer.start({ accounts: true });
    order = await AppProcess.start('order', { env: nats.clientEnv('order') });
    gateway = await AppProcess.start('gateway', { env: { ORDER_URL: order.url, SHUTDOWN_DELAY_MS: '500' } });
  });
  afterAll(async () => {
    await gateway?.stop();
    await consumer?.stop();
    await order?.stop();
    await nats?.cleanup();
  });

  const create = async (sku: string): Promise<{ id: string }> => {
    const response = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku, qty: 1 }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string };
  };
  const openStreams = async () => ((await order.get('/readyz')).body as Readyz).components.find((c) => c.name === 'event-streams')?.detail;

  it('a client waiting before fulfilment gets accepted, then fulfilled when the consumer runs; one request id in both services', async () => {
    const created = await create('SSE-E2E-1');
    const client = await EventStreamClient.open(`${gateway.url}/orders/${created.id}/events`, { 'x-request-id': 'e2e-events-1' });
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['x-order-version']).toBe('v1');
    expect(client.headers['x-content-type-options']).toBe('nosniff');
    await client.waitForEvents(1);
    expect(client.names()).toEqual(['accepted']);

    consumer = await AppProcess.start('consumer', { env: nats.clientEnv('consumer') });
    expect(await client.ended).toBe('end');
    expect(client.names()).toEqual(['accepted', 'fulfilled']);
    expect(JSON.parse(client.events[1]?.data ?? '')).toMatchObject({ id: created.id, status: 'fulfilled' });

    // The gateway's request id is the order service's too, and both log lines carry one trace.
    const line = (app: AppProcess) =>
      app.logs().find((l) => l['reqId'] === 'e2e-events-1' && String((l['req'] as { url?: string })?.url).endsWith('/events'));
    const [atGateway, atOrder] = await waitFor(() => (line(gateway) && line(order) ? [line(gateway), line(order)] : undefined), {
      description: 'access lines of the stream in both services',
    });
    expect(atOrder?.['trace_id']).toBeDefined();
    expect(atOrder?.['trace_id']).toBe(atGateway?.['trace_id']);
  });

  it('a client that comes back with Last-Event-ID after the final event gets 204, which ends an EventSource', async () => {
    const created = await create('SSE-E2E-2');
    const first = await EventStreamClient.open(`${gateway.url}/orders/${created.id}/events`);
    expect(await first.ended).toBe('end');
    expect(first.names().at(-1)).toBe('fulfilled');
    const again = await EventStreamClient.open(`${gateway.url}/orders/${created.id}/events`, { 'last-event-id': 'fulfilled' });
    expect(again.status).toBe(204);
  });

  it('on SIGTERM the gateway tells its open clients to reconnect, releases their streams at order, and exits 0', async () => {
    await consumer?.stop();
    consumer = undefined;
    const orders = await Promise.all([1, 2, 3].map((i) => create(`SSE-E2E-TERM-${i}`)));
    const clients = await Promise.all(
      Array.from({ length: 6 }, (_, i) => EventStreamClient.open(`${gateway.url}/orders/${orders[i % 3]?.id}/events`)),
    );
    await Promise.all(clients.map((c) => c.waitForEvents(1)));
    expect(await openStreams()).toBe('6 open stream(s)');
    const exit = await gateway.stop('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    for (const client of clients) {
      expect(await client.ended).toBe('end');
      expect(client.retries).toEqual([1_000]);
    }
    await waitFor(async () => (await openStreams()) === '0 open stream(s)', { description: 'order releasing the streams' });
    gateway = await AppProcess.start('gateway', { env: { ORDER_URL: order.url } });
  });
});
