import { Registry } from 'prom-client';
import { delivery } from '../../test/delivery.fixture';
import { messagingMetrics, metrics } from './metrics';

describe('metrics middleware', () => {
  it('counts outcomes and redeliveries per subject template (never per subject: one order is one subject) and consumer, and observes duration', async () => {
    const registry = new Registry();
    const m = messagingMetrics(registry);
    expect(messagingMetrics(registry)).toBe(m); // registered once
    await metrics(m)(async () => ({ action: 'ack' }))(delivery());
    await metrics(m)(async () => ({ action: 'nak', delayMs: 1, error: new Error('x') }))(delivery({ deliveryCount: 2 }));
    await metrics(m)(async () => ({ action: 'dead-letter', reason: 'bad' }))(delivery({ deliveryCount: 3 }));
    const text = await registry.metrics();
    expect(text).toContain('messaging_messages_consumed_total{subject="orders.created.*",consumer="fulfilment",outcome="acked"} 1');
    expect(text).toContain('messaging_messages_consumed_total{subject="orders.created.*",consumer="fulfilment",outcome="nakked"} 1');
    expect(text).toContain('messaging_messages_consumed_total{subject="orders.created.*",consumer="fulfilment",outcome="dead_lettered"} 1');
    expect(text).toContain('messaging_messages_redelivered_total{subject="orders.created.*",consumer="fulfilment"} 2');
    expect(text).toContain('messaging_messages_in_flight{consumer="fulfilment"} 0');
    expect(text).toMatch(/messaging_process_duration_seconds_count\{subject="orders.created.*",consumer="fulfilment",outcome="acked"\} 1/);
  });
});
