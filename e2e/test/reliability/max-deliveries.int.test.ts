import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AppProcess, NatsServer, waitFor } from '@tandem/testing';

/**
 * SPEC §4 and §7, a message that reaches `max_deliver` for any reason ends in
 * ORDERS_DLQ with its headers — never parked silently. On its last delivery the runner
 * dead-letters itself; when it cannot (the DLQ refused, the process died, the stop deadline
 * came), the server's MAX_DELIVERIES advisory, kept in stream ORDERS_MAX_DELIVERIES, is turned
 * into the dead letter by the `dead-letters` consumer, which retries until it is written.
 *
 * Real processes (order, consumer), a real nats-server with Tandem's users and permissions and
 * the topology declared by the admin identity; the declaration is then changed as an operator
 * would (max_deliver 2, a short ack_wait) so that the last delivery comes in seconds.
 */
describe('reliability: nothing is parked at max_deliver', () => {
  let nats: NatsServer | undefined;
  let admin: NatsConnection | undefined;
  const apps: AppProcess[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop('SIGKILL');
    await admin?.close();
    await nats?.cleanup();
    nats = undefined;
    admin = undefined;
  });

  /** The server, the admin's manager, and the fulfilment consumer re-declared with a small max_deliver. */
  async function system(options: { ackWaitMs: number; permissions?: (conf: string) => string }) {
    const server = (nats = await NatsServer.start({
      accounts: true,
      ...(options.permissions ? { permissions: options.permissions } : {}),
    }));
    const { user, pass, inboxPrefix } = server.user('admin');
    admin = await connect({ servers: server.url, user, pass, inboxPrefix });
    const jsm = await jetstreamManager(admin);
    await jsm.consumers.update('ORDERS', 'fulfilment', { max_deliver: 2, ack_wait: nanos(options.ackWaitMs) });
    const order = await AppProcess.start('order', { env: server.clientEnv('order') });
    apps.push(order);
    return { server, jsm, order };
  }

  async function createOrder(order: AppProcess, key: string): Promise<string> {
    const response = await fetch(`${order.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ sku: 'DLQ-1', qty: 1 }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** The dead letters, with their headers, read as the admin. */
  async function deadLetters(jsm: JetStreamManager) {
    const { messages, first_seq } = (await jsm.streams.info('ORDERS_DLQ')).state;
    const letters = [];
    for (let seq = first_seq; seq < first_seq + messages; seq++) {
      const m = await jsm.streams.getMessage('ORDERS_DLQ', { seq });
      if (!m) continue;
      const h = (name: string) => m.header.get(name);
      letters.push({
        subject: m.subject,
        originalSubject: h('Tandem-Original-Subject'),
        originalSequence: h('Tandem-Original-Sequence'),
        deliveryCount: h('Tandem-Delivery-Count'),
        consumer: h('Tandem-Consumer'),
        error: h('Tandem-Error'),
        body: new TextDecoder().decode(m.data),
      });
    }
    return letters;
  }

  async function original(jsm: JetStreamManager, id: string) {
    const m = await jsm.streams.getMessage('ORDERS', { last_by_subj: `orders.created.${id}` });
    if (!m) throw new Error(`orders.created.${id} is not stored`);
    return { seq: String(m.seq), body: new TextDecoder().decode(m.data) };
  }

  it('a message failing its last delivery while the DLQ is refused is dead-lettered once the DLQ is allowed again', async () => {
    // The consumer user may not publish dead letters (its subject taken out of its permissions).
    const { server, jsm, order } = await system({
      ackWaitMs: 30_000,
      permissions: (conf) => conf.replace('      "dlq.orders.created.*"\n', ''),
    });
    const consumer = await AppProcess.start('consumer', { env: { ...server.clientEnv('consumer'), FULFILMENT_FAIL_RATE: '1' } });
    apps.push(consumer);
    const id = await createOrder(order, 'dlq-refused');
    const stored = await original(jsm, id);

    // Both deliveries fail; the runner's own dead letter on the last one is refused, so it naks,
    // and the server publishes its advisory, which the stream keeps.
    await waitFor(async () => (await jsm.streams.info('ORDERS_MAX_DELIVERIES')).state.messages === 1, {
      description: 'the MAX_DELIVERIES advisory kept in ORDERS_MAX_DELIVERIES',
      timeoutMs: 30_000,
    });
    expect(consumer.logs().some((l) => String(l['msg']).startsWith('dead-lettering failed') && Number(l['deliveryCount']) === 2)).toBe(
      true,
    );
    // The dead-letters consumer tries, is refused, and tries again; meanwhile nothing is written.
    await waitFor(async () => (await jsm.consumers.info('ORDERS_MAX_DELIVERIES', 'dead-letters')).delivered.consumer_seq >= 2, {
      description: 'the dead-letters consumer to have tried at least twice',
      timeoutMs: 30_000,
    });
    expect((await jsm.streams.info('ORDERS_DLQ')).state.messages).toBe(0);
    expect((await jsm.consumers.info('ORDERS', 'fulfilment')).num_ack_pending).toBe(0);

    // The DLQ is allowed again (the same deploy/nats/permissions.conf as in production, reloaded).
    await server.setPermissions();
    await waitFor(async () => (await jsm.streams.info('ORDERS_DLQ')).state.messages >= 1, {
      description: 'the dead letter written once allowed',
      timeoutMs: 45_000,
    });
    const letters = await deadLetters(jsm);
    expect(letters).toEqual([
      {
        subject: `dlq.orders.created.${id}`,
        originalSubject: `orders.created.${id}`,
        originalSequence: stored.seq,
        deliveryCount: '2',
        consumer: 'fulfilment',
        error: expect.stringMatching(/^reached max_deliver \(2 deliveries\) without being settled/),
        body: stored.body,
      },
    ]);
    await waitFor(async () => (await jsm.consumers.info('ORDERS_MAX_DELIVERIES', 'dead-letters')).num_ack_pending === 0, {
      description: 'the advisory acknowledged',
    });
    expect((await jsm.consumers.info('ORDERS_MAX_DELIVERIES', 'dead-letters')).num_pending).toBe(0);
  });

  it('a consumer SIGKILLed on the last delivery: the message is in the DLQ, once', async () => {
    const ackWaitMs = 2_000;
    const { server, jsm, order } = await system({ ackWaitMs });
    // Each fulfilment takes a minute: a process holds its message (kept alive with working())
    // until it is killed.
    const env = { ...server.clientEnv('consumer'), FULFILMENT_DELAY_MS: '60000' };
    const id = await createOrder(order, 'dlq-sigkill');
    const stored = await original(jsm, id);
    const delivered = async () => (await jsm.consumers.info('ORDERS', 'fulfilment')).delivered.consumer_seq;

    for (const delivery of [1, 2]) {
      const consumer = await AppProcess.start('consumer', { env });
      apps.push(consumer);
      await waitFor(
        async () => (await delivered()) === delivery && (await jsm.consumers.info('ORDERS', 'fulfilment')).num_ack_pending === 1,
        {
          description: `delivery ${delivery} held by a consumer process`,
          timeoutMs: 30_000,
        },
      );
      await consumer.stop('SIGKILL');
    }
    // Its last delivery died with its process: once ack_wait passes the server gives up on it
    // and says so in an advisory; the next consumer process dead-letters it from there.
    const next = await AppProcess.start('consumer', { env });
    apps.push(next);
    await waitFor(async () => (await jsm.streams.info('ORDERS_DLQ')).state.messages >= 1, {
      description: 'the message killed on its last delivery in the DLQ',
      timeoutMs: 30_000,
    });
    expect(await deadLetters(jsm)).toEqual([
      {
        subject: `dlq.orders.created.${id}`,
        originalSubject: `orders.created.${id}`,
        originalSequence: stored.seq,
        deliveryCount: '2',
        consumer: 'fulfilment',
        error: expect.stringMatching(/^reached max_deliver \(2 deliveries\)/),
        body: stored.body,
      },
    ]);
    expect(next.logs().some((l) => l['msg'] === 'message dead-lettered from the MAX_DELIVERIES advisory')).toBe(true);
    // Nothing left behind and nothing delivered a third time.
    const info = await jsm.consumers.info('ORDERS', 'fulfilment');
    expect([info.num_pending, info.num_ack_pending, info.delivered.consumer_seq]).toEqual([0, 0, 2]);
    // The order was not fulfilled: its only record beyond the create is the dead letter.
    expect(await jsm.streams.getMessage('ORDERS', { last_by_subj: `orders.fulfilled.${id}` })).toBeNull();
  });
});
