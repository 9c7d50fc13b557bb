import { jetstreamManager } from '@nats-io/jetstream';
import { waitFor } from '@tandem/testing';
import { describeMark, longest, ReliabilitySystem, startedBetween } from './reliability-system';

/**
 * SPEC §7: SIGTERM under load loses nothing. Gateway → order → NATS → consumer run as real
 * processes; a load generator posts orders (one Idempotency-Key each) while one service
 * gets SIGTERM and is started again; then the audit compares every 201 with KV, the
 * ORDERS stream and the DLQ.
 */
describe('reliability: SIGTERM under load', () => {
  let system: ReliabilitySystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('order gets SIGTERM mid-load and restarts: in-flight requests complete, then fast 503s, and every 201 is fulfilled exactly once', async () => {
    const s = (system = await ReliabilitySystem.start({
      orderEnv: { SHUTDOWN_DELAY_MS: '500' },
      consumerEnv: { FULFILMENT_DELAY_MS: '5' },
    }));
    const load = s.load({ orders: 600, keyPrefix: 'sigterm-order' });
    await load.whenCompleted(150);

    const mark = load.mark('SIGTERM order');
    s.order.process.signal('SIGTERM');
    await s.order.waitForStatus('/readyz', 503, 5_000).catch(() => undefined); // readiness flips first (it may already be gone)
    const exit = await s.order.process.exited;
    const downAt = Date.now();
    // While order is down the gateway answers 503 at once: wait until the load has seen some.
    await waitFor(() => load.attempts.some((a) => a.startedAt >= downAt && a.status === 503), {
      description: '503s from the gateway while order is down',
      timeoutMs: 15_000,
    });
    const restartAt = Date.now();
    await s.restartOrder();
    const upAt = Date.now();
    await load.finished;
    const retries = await load.retryUnaccepted();
    const { audit } = await s.audit('SIGTERM order mid-load', load.attempts, {
      'in-flight at SIGTERM': describeMark(load, mark),
      'max 503 ms while down': longest(startedBetween(load.attempts, downAt, restartAt)),
      'down ms': upAt - downAt,
    });
    await load.close();

    expect(exit).toEqual({ code: 0, signal: null });
    // every request in flight at the signal ended with an HTTP status (finished, or a clean 503), none reset or hung
    const inFlight = load.attempts.filter((a) => !a.retry && mark.inFlight.includes(a.key));
    expect(inFlight).toHaveLength(mark.inFlight.length);
    expect(inFlight.filter((a) => a.status !== 201 && a.status !== 503)).toEqual([]);
    // with the listener closed, requests are answered 503 fast, never left to hang
    const whileDown = startedBetween(load.attempts, downAt, restartAt);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(whileDown.every((a) => a.status === 503)).toBe(true);
    expect(longest(whileDown)).toBeLessThan(3_000);
    // the order service works again after its restart, and a 503'd order retried with its key is accepted
    expect(load.attempts.some((a) => a.startedAt >= upAt && a.status === 201)).toBe(true);
    expect(retries.every((a) => a.status === 201)).toBe(true);
    expect(audit.first.unavailable).toBeGreaterThan(0);
    expect(audit.problems).toEqual([]);
    expect(audit.accepted).toBe(600);
    expect(audit.fulfilled).toBe(audit.accepted);
  }, 120_000);

  it('consumer gets SIGTERM mid-load and restarts: in-flight messages finish and are acked, every order is fulfilled exactly once', async () => {
    const s = (system = await ReliabilitySystem.start({ consumerEnv: { FULFILMENT_DELAY_MS: '40', SHUTDOWN_DELAY_MS: '300' } }));
    const jsm = await jetstreamManager(s.nc);
    const load = s.load({ orders: 600, keyPrefix: 'sigterm-consumer' });
    await load.whenCompleted(150);
    // mid-message: the consumer holds delivered, unacknowledged messages
    await waitFor(async () => (await jsm.consumers.info('ORDERS', 'fulfilment')).num_ack_pending > 0, {
      description: 'messages in flight in the consumer',
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    s.consumer.process.signal('SIGTERM');
    await s.consumer.process.waitForLine(/"shutdownStep":"readiness-off"/, 10_000);
    const readyz = await s.consumer.get('/readyz').catch(() => undefined); // within SHUTDOWN_DELAY_MS the listener still answers
    const exit = await s.consumer.process.exited;
    const oldConsumer = s.consumer;
    await s.restartConsumer();
    await load.finished;
    const retries = await load.retryUnaccepted();
    const { audit } = await s.audit('SIGTERM consumer mid-load', load.attempts, () => ({
      'consumer exit': String(exit.code),
      // nakked by the stopping consumer (arrived after it stopped taking work) or, rarely, held until ack_wait
      'redelivered to new consumer': s.consumer.logs().filter((l) => l['msg'] === 'order fulfilled' && Number(l['deliveryCount']) > 1)
        .length,
    }));
    await load.close();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(readyz?.status).toBe(503); // readiness flips at the signal
    const steps = oldConsumer
      .logs()
      .flatMap((l) => (l['shutdownStep'] ? [`${String(l['shutdownStep'])}${l['component'] ? `:${String(l['component'])}` : ''}`] : []));
    expect(steps).toEqual(expect.arrayContaining(['readiness-off', 'stop-intake', 'stop:consumer:fulfilment', 'stop:nats', 'complete']));
    expect(retries).toEqual([]); // POST never depended on the consumer
    expect(audit.problems).toEqual([]);
    expect(audit.accepted).toBe(600);
    expect(audit.fulfilled).toBe(600);
  }, 120_000);
});
