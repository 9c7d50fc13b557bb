import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { orderSubject, Topology } from '@tandem/contracts';
import { NatsConnectionComponent, Publisher, ensureTopology } from '@tandem/messaging';
import { newOrder, orderIdFor, requestFingerprint } from '@tandem/orders';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer } from '@tandem/testing';
import pino from 'pino';
import { FINGERPRINT_HEADER, JetStreamOrderLog } from '../src/adapters/jetstream-order-log';

const SECRET = 'a-test-secret-for-the-order-log-0123456789';
const ctx = (): StartContext => ({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });
const body = { sku: 'ABC', qty: 2 };
const order = (key: string, version = 'v1') =>
  newOrder(body, { id: orderIdFor(key, SECRET), version, now: new Date('2026-12-05T10:00:00.000Z') });

describe('JetStreamOrderLog: an order is its events in ORDERS (real nats-server)', () => {
  let server: NatsServer;
  let nats: NatsConnectionComponent;
  let log: JetStreamOrderLog;

  beforeAll(async () => {
    server = await NatsServer.start();
    nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'order-log-test' });
    await nats.start(ctx());
    // A 100 ms duplicate window: a repeated create is then refused by the expected sequence alone.
    await ensureTopology(await nats.whenConnected(), { streams: [{ ...Topology.ordersStream, duplicateWindowMs: 100 }] }, { replicas: 1 });
    log = new JetStreamOrderLog(new Publisher(nats, { ackTimeoutMs: 2_000 }), nats);
  });
  afterAll(async () => {
    await nats?.stop(deadlineIn(5_000));
    await server?.cleanup();
  });

  it('creates with one message on orders.created.<id>, carrying the fingerprint; a later create of the same id, past the duplicate window, finds the first and stores nothing', async () => {
    const first = order('k1');
    expect(await log.create(first, 'fp-1')).toEqual({ stored: true });
    const jsm = await jetstreamManager(await nats.whenConnected());
    const stored = await jsm.streams.getMessage('ORDERS', { last_by_subj: orderSubject('created', first.id) });
    expect(stored?.header.get(FINGERPRINT_HEADER)).toBe('fp-1');
    const before = (await jsm.streams.info('ORDERS')).state.messages;

    // Another instance (v2), another body, after the duplicate window: the subject is not empty.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = order('k1', 'v2');
    expect(await log.create(again, 'fp-other')).toEqual({ stored: false, existing: { order: first, fingerprint: 'fp-1' } });
    expect((await jsm.streams.info('ORDERS')).state.messages).toBe(before);
  });

  it('reads an order back on any instance right after its create, and its fulfilment from orders.fulfilled.<id>', async () => {
    const created = order('k2');
    await log.create(created, requestFingerprint(body));
    const other = new JetStreamOrderLog(new Publisher(nats), nats); // a second instance
    expect(await other.get(created.id)).toEqual(created);

    const fulfilledAt = '2026-12-05T10:00:03.000Z';
    const nc = await nats.whenConnected();
    const jsm = await jetstreamManager(nc);
    await jetstream(nc).publish(
      orderSubject('fulfilled', created.id),
      JSON.stringify({ eventVersion: 1, orderId: created.id, fulfilledAt }),
    );
    expect(await other.get(created.id)).toEqual({ ...created, status: 'fulfilled', updatedAt: fulfilledAt });
    expect((await jsm.streams.info('ORDERS')).config.allow_direct).toBe(true);
  });

  it('answers undefined for an unknown order and for a subject holding something that is not an order event', async () => {
    expect(await log.get(orderIdFor('never-created', SECRET))).toBeUndefined();
    const poisoned = orderIdFor('poisoned', SECRET);
    await jetstream(await nats.whenConnected()).publish(orderSubject('created', poisoned), 'garbage{');
    expect(await log.get(poisoned)).toBeUndefined();
  });

  it('fails with TANDEM_ERR_NATS_UNAVAILABLE (→ 503) when NATS is not connected, for reads and writes', async () => {
    const disconnected = new NatsConnectionComponent({ servers: ['nats://127.0.0.1:1'], clientName: 'never-connected' });
    const offline = new JetStreamOrderLog(new Publisher(disconnected, { attempts: 1 }), disconnected);
    await expect(offline.get('x')).rejects.toMatchObject({ code: 'TANDEM_ERR_NATS_UNAVAILABLE' });
    await expect(offline.create(order('k3'), 'fp')).rejects.toMatchObject({ code: 'TANDEM_ERR_EVENT_NOT_STORED' });
  });

  it('asks the stream leader when direct get misses the order (a lagging replica), before answering that it does not exist', async () => {
    const created = order('k-lag');
    await log.create(created, 'fp');
    /** A log whose direct gets come from a replica that has not seen anything yet. */
    class LaggingReplicaLog extends JetStreamOrderLog {
      protected override async manager(): Promise<JetStreamManager> {
        const real = await super.manager();
        return { ...real, streams: real.streams, direct: { ...real.direct, getMessage: async () => null } } as JetStreamManager;
      }
    }
    const lagging = new LaggingReplicaLog(new Publisher(nats), nats);
    expect(await lagging.get(created.id)).toEqual(created);
    expect(await lagging.get(orderIdFor('k-nowhere', SECRET))).toBeUndefined();
  });
});
