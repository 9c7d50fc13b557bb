import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AppProcess, EventStreamClient, NatsServer, waitFor, waitForPortClosed } from '@tandem/testing';

type Readyz = { components: Array<{ name: string; detail?: string }> };

/**
 * `GET /orders/:id/events` on the built order service (dist/apps/order/main.js) against a real
 * nats-server with the production users and permissions; fulfilments are published as the
 * consumer service does (as its NATS user, create-if-absent on the order's subject).
 */
describe('order event streams (order service process, real nats-server)', () => {
  let nats: NatsServer;
  let order: AppProcess;
  let consumer: NatsConnection;

  beforeAll(async () => {
    nats = await NatsServer.start({ accounts: true });
    order = await AppProcess.start('order', { env: { ...nats.clientEnv('order'), EVENTS_HEARTBEAT_MS: '300' } });
    consumer = await connectAsConsumer();
  });
  afterAll(async () => {
    await consumer?.close();
    await order?.stop();
    await nats?.cleanup();
  });

  async function connectAsConsumer(): Promise<NatsConnection> {
    const { user, pass, inboxPrefix } = nats.user('consumer');
    return connect({ servers: nats.url, user, pass, inboxPrefix });
  }

  async function createOrder(app: AppProcess = order): Promise<{ id: string; status: string }> {
    const response = await fetch(`${app.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'SSE-1', qty: 2 }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; status: string };
  }

  async function fulfil(id: string, via: NatsConnection = consumer): Promise<void> {
    await jetstream(via).publish(
      `orders.fulfilled.${id}`,
      JSON.stringify({ eventVersion: 1, orderId: id, fulfilledAt: new Date().toISOString() }),
      { expect: { lastSubjectSequence: 0 } },
    );
  }

  const events = (app: AppProcess, id: string, headers: Record<string, string> = {}) =>
    EventStreamClient.open(`${app.url}/orders/${id}/events`, headers);

  const watched = async (app: AppProcess = order) =>
    ((await app.get('/readyz')).body as Readyz).components.find((c) => c.name === 'order-changes')?.detail;

  it('a client that connects before fulfilment receives accepted, heartbeats while it waits, then fulfilled, and the stream ends', async () => {
    const created = await createOrder();
    const client = await events(order, created.id);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.headers['x-order-version']).toBe('v1');
    const [accepted] = await client.waitForEvents(1);
    expect(accepted).toMatchObject({ id: 'accepted', event: 'accepted' });
    expect(JSON.parse(accepted?.data ?? '')).toEqual(created);
    await waitFor(() => client.comments.includes('keep-alive'), { description: 'a heartbeat comment' });
    await fulfil(created.id);
    expect(await client.ended).toBe('end');
    expect(client.names()).toEqual(['accepted', 'fulfilled']);
    const fulfilled = JSON.parse(client.events[1]?.data ?? '');
    expect(fulfilled).toMatchObject({ id: created.id, status: 'fulfilled' });
    // The event is the order as GET /orders/:id reads it from the stream.
    expect((await order.get(`/orders/${created.id}`)).body).toEqual(fulfilled);
    expect(client.retries).toEqual([]);
  });

  it('a client that connects after fulfilment receives fulfilled at once, and the stream ends', async () => {
    const created = await createOrder();
    await fulfil(created.id);
    const client = await events(order, created.id);
    expect(await client.ended).toBe('end');
    expect(client.names()).toEqual(['fulfilled']);
    expect(client.events[0]?.id).toBe('fulfilled');
  });

  it('Last-Event-ID resumes without missing or repeating a change; after the final one the answer is 204', async () => {
    const created = await createOrder();
    const resumed = await events(order, created.id, { 'last-event-id': 'accepted' });
    expect(resumed.status).toBe(200);
    await waitFor(() => resumed.comments.includes('resumed'), { description: 'the resumed stream to open' });
    await fulfil(created.id);
    expect(await resumed.ended).toBe('end');
    expect(resumed.names()).toEqual(['fulfilled']);

    // A client that missed the fulfilment while away gets it on reconnecting.
    const missed = await events(order, created.id, { 'last-event-id': 'accepted' });
    expect(await missed.ended).toBe('end');
    expect(missed.names()).toEqual(['fulfilled']);

    const done = await events(order, created.id, { 'last-event-id': 'fulfilled' });
    expect(done.status).toBe(204);
    expect(await done.text()).toBe('');
  });

  it('answers bad requests with problems: unknown order 404, malformed id or Last-Event-ID 400 naming the field', async () => {
    const unknown = await events(order, '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(await unknown.text())).toMatchObject({
      status: 404,
      detail: 'order 0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d does not exist',
    });
    const malformed = await events(order, 'not-a-uuid');
    expect(malformed.status).toBe(400);
    const created = await createOrder();
    const badHeader = await events(order, created.id, { 'last-event-id': 'shipped' });
    expect(badHeader.status).toBe(400);
    expect(JSON.parse(await badHeader.text()).errors).toEqual([
      { field: 'last-event-id', message: 'must be equal to one of the allowed values' },
    ]);
    expect(await watched()).toBe('0 order(s) watched');
  });

  it('clients waiting on one order share one subscription; with nobody waiting nothing is watched', async () => {
    const created = await createOrder();
    const clients = await Promise.all([1, 2, 3].map(() => events(order, created.id)));
    await Promise.all(clients.map((c) => c.waitForEvents(1)));
    expect(await watched()).toBe('1 order(s) watched');
    expect((await order.get('/metrics')).text).toContain('http_server_event_streams_open{service="order"} 3');
    clients[0]?.close();
    await fulfil(created.id);
    for (const client of clients.slice(1)) {
      expect(await client.ended).toBe('end');
      expect(client.names()).toEqual(['accepted', 'fulfilled']);
    }
    await waitFor(async () => (await watched()) === '0 order(s) watched', { description: 'no order watched' });
  });

  it('a fulfilment stored while NATS restarts still reaches the waiting client', async () => {
    const created = await createOrder();
    const client = await events(order, created.id);
    await client.waitForEvents(1);
    await nats.kill();
    await waitForPortClosed(nats.port);
    await nats.restart();
    const publisher = await connectAsConsumer();
    try {
      await fulfil(created.id, publisher);
    } finally {
      await publisher.close();
    }
    expect(await client.ended).toBe('end');
    expect(client.names()).toEqual(['accepted', 'fulfilled']);
    await order.waitForStatus('/readyz', 200);
  });

  describe('limits and shutdown (an instance of their own)', () => {
    let small: AppProcess | undefined;
    afterEach(async () => {
      if (small?.process.running) await small.stop('SIGKILL');
    });

    it('bounds open streams with a 503 and Retry-After, and ends an idle stream with retry: after EVENTS_IDLE_TIMEOUT_MS', async () => {
      small = await AppProcess.start('order', {
        env: { ...nats.clientEnv('order'), EVENTS_MAX_STREAMS: '2', EVENTS_IDLE_TIMEOUT_MS: '1500' },
      });
      const created = await createOrder(small);
      const open = [await events(small, created.id), await events(small, created.id)];
      await Promise.all(open.map((c) => c.waitForEvents(1)));
      const refused = await events(small, created.id);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(JSON.parse(await refused.text())).toMatchObject({ detail: '2 event streams are open, the most this instance keeps' });
      for (const client of open) {
        expect(await client.ended).toBe('end');
        expect(client.retries).toEqual([1_000]);
      }
      // The client reconnects as an EventSource would and carries on where it was.
      await fulfil(created.id);
      const again = await events(small, created.id, { 'last-event-id': 'accepted' });
      expect(await again.ended).toBe('end');
      expect(again.names()).toEqual(['fulfilled']);
    });

    it('on SIGTERM with 50 open streams: hands new ones off, tells every client to reconnect within the delay, exits 0 in time', async () => {
      small = await AppProcess.start('order', {
        env: { ...nats.clientEnv('order'), SHUTDOWN_DELAY_MS: '1500', SHUTDOWN_TIMEOUT_MS: '10000', EVENTS_HEARTBEAT_MS: '1000' },
      });
      const orders = await Promise.all(Array.from({ length: 10 }, () => createOrder(small)));
      const clients: EventStreamClient[] = [];
      for (let i = 0; i < 50; i++) clients.push(await events(small, orders[i % orders.length]?.id ?? ''));
      await Promise.all(clients.map((c) => c.waitForEvents(1)));
      expect(((await small.get('/readyz')).body as Readyz).components.find((c) => c.name === 'event-streams')?.detail).toBe(
        '50 open stream(s)',
      );
      const started = Date.now();
      small.process.signal('SIGTERM');
      await waitFor(async () => (await small?.get('/readyz'))?.status === 503, { description: 'readiness off' });
      // A new stream during the delay is handed off: 200 with only retry:, as an EventSource needs.
      const late = await events(small, orders[0]?.id ?? '');
      expect(late.status).toBe(200);
      expect(await late.ended).toBe('end');
      expect({ retries: late.retries, events: late.names() }).toEqual({ retries: [1_000], events: [] });
      for (const client of clients) {
        expect(await client.ended).toBe('end');
        expect(client.retries).toEqual([1_000]);
        expect(client.names()).toEqual(['accepted']);
      }
      const exit = await small.process.exited;
      expect(exit.code).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      const told = small
        .logs()
        .find((l) => typeof l['msg'] === 'string' && (l['msg'] as string).includes('open event stream(s) to reconnect'));
      expect(told).toMatchObject({ openStreams: 50, fromMs: 375, toMs: 1_200 });
    });
  });
});
