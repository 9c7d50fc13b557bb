import { jetstreamManager } from '@nats-io/jetstream';
import { waitFor } from '@tandem/testing';
import { ReliabilitySystem } from './reliability-system';

/**
 * SPEC §7: a consumer killed with SIGKILL mid-message loses nothing and duplicates
 * nothing. The fulfilment worker takes FULFILMENT_DELAY_MS per order, so it always holds
 * messages it has not acknowledged; it is SIGKILLed and a new one started. The server
 * redelivers what the dead one held once the consumer's ack_wait has passed (30 s, from
 * the contracts lib's Topology; the product has no setting to shorten it, so the test
 * waits it out).
 */
describe('reliability: consumer SIGKILLed mid-message', () => {
  let system: ReliabilitySystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('the messages it held are redelivered after ack_wait and each order is fulfilled exactly once', async () => {
    const s = (system = await ReliabilitySystem.start({ consumerEnv: { FULFILMENT_DELAY_MS: '250' } }));
    const jsm = await jetstreamManager(s.nc);
    const ackWaitMs = ((await jsm.consumers.info('ORDERS', 'fulfilment')).config.ack_wait ?? 0) / 1_000_000; // as the product declared it
    const load = s.load({ orders: 400, keyPrefix: 'consumer-kill' });
    await load.whenCompleted(100);
    await waitFor(async () => (await jsm.consumers.info('ORDERS', 'fulfilment')).num_ack_pending >= 4, {
      description: 'the consumer holding messages mid-fulfilment',
      timeoutMs: 10_000,
      intervalMs: 10,
    });

    const killedAt = Date.now();
    const killed = s.consumer;
    await killed.stop('SIGKILL');
    const held = (await jsm.consumers.info('ORDERS', 'fulfilment')).num_ack_pending;
    const fulfilledBefore = new Set(
      killed
        .logs()
        .filter((l) => l['msg'] === 'order fulfilled')
        .map((l) => Number(l['seq'])),
    );
    await s.restartConsumer();
    await load.finished;
    const retries = await load.retryUnaccepted();
    const { audit } = await s.audit(
      'consumer SIGKILL mid-message',
      load.attempts,
      {
        'held at kill': held,
        'ack_wait ms': ackWaitMs,
      },
      ackWaitMs + 45_000,
    );
    await load.close();
    // A redelivered order is either fulfilled now, or was fulfilled by the dead consumer just
    // before its ack was lost: then the server refuses the second orders.fulfilled.<id> (expected
    // last subject sequence 0) and the message is acked as "order already fulfilled".
    const handledAgain = s.consumer
      .logs()
      .filter((l) => (l['msg'] === 'order fulfilled' || l['msg'] === 'order already fulfilled') && Number(l['deliveryCount']) > 1);
    const redelivered = handledAgain;
    const refused = handledAgain.filter((l) => l['msg'] === 'order already fulfilled');
    const firstRedeliveryMs = Math.min(...redelivered.map((l) => Date.parse(String(l['time'])))) - killedAt;
    console.log(
      `[reliability] consumer SIGKILL mid-message: ${held} message(s) held by the killed consumer, ${redelivered.length} redelivered to the new one, ` +
        `first ${(firstRedeliveryMs / 1000).toFixed(1)} s after the kill (ack_wait ${ackWaitMs / 1000} s), ` +
        `${refused.length} of them already fulfilled before the kill (${refused.filter((l) => fulfilledBefore.has(Number(l['seq']))).length} logged so by the dead one; the second orders.fulfilled refused by the server, acked)`,
    );

    expect(held).toBeGreaterThan(0);
    // what the dead consumer held comes back, and only once ack_wait has passed
    expect(redelivered.length).toBeGreaterThanOrEqual(held);
    expect(firstRedeliveryMs).toBeGreaterThanOrEqual(ackWaitMs - 5_000); // delivered shortly before the kill
    // only messages the dead consumer held can have been fulfilled by it already (it may have
    // died between the server storing its orders.fulfilled and the line saying so)
    expect(refused.length).toBeLessThanOrEqual(held);
    expect(retries).toEqual([]);
    // ... and its effect happens once: one orders.fulfilled.<id> per order
    expect(audit.problems).toEqual([]);
    expect(audit.accepted).toBe(400);
    expect(audit.fulfilled).toBe(400);
    expect(audit.duplicates).toBe(0);
  }, 150_000);
});
