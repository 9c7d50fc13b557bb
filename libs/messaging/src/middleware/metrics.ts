import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Middleware } from './middleware';

/** The messaging metrics of a process, registered once on its registry. */
export interface MessagingMetrics {
  readonly consumed: Counter<'subject' | 'consumer' | 'outcome'>;
  readonly redelivered: Counter<'subject' | 'consumer'>;
  readonly duration: Histogram<'subject' | 'consumer' | 'outcome'>;
  readonly inFlight: Gauge<'consumer'>;
  readonly published: Counter<'subject' | 'result'>;
  readonly consumerPending: Gauge<'consumer'>;
  readonly consumerAckPending: Gauge<'consumer'>;
}

const cache = new WeakMap<Registry, MessagingMetrics>();

/** Creates (or returns) the messaging metrics on `registry`. */
export function messagingMetrics(registry: Registry): MessagingMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const metrics: MessagingMetrics = {
    consumed: new Counter({
      name: 'messaging_messages_consumed_total',
      help: 'Messages settled by a consumer, by outcome: acked, nakked (to be redelivered), dead_lettered, or skipped (acked unhandled: another version owns it).',
      labelNames: ['subject', 'consumer', 'outcome'],
      registers: [registry],
    }),
    redelivered: new Counter({
      name: 'messaging_messages_redelivered_total',
      help: 'Deliveries that were not the first delivery of their message.',
      labelNames: ['subject', 'consumer'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'messaging_process_duration_seconds',
      help: 'Time from receiving a message to deciding its outcome, in seconds.',
      labelNames: ['subject', 'consumer', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'messaging_messages_in_flight',
      help: 'Messages being handled right now.',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    published: new Counter({
      name: 'messaging_messages_published_total',
      help: 'Publishes by result: stored, duplicate (dropped by the stream as a repeat) or failed.',
      labelNames: ['subject', 'result'],
      registers: [registry],
    }),
    consumerPending: new Gauge({
      name: 'messaging_consumer_pending_messages',
      help: 'Messages in the stream not yet delivered to the consumer (sampled every few seconds).',
      labelNames: ['consumer'],
      registers: [registry],
    }),
    consumerAckPending: new Gauge({
      name: 'messaging_consumer_ack_pending_messages',
      help: 'Messages delivered to the consumer and not yet acknowledged (sampled every few seconds).',
      labelNames: ['consumer'],
      registers: [registry],
    }),
  };
  cache.set(registry, metrics);
  return metrics;
}

const outcomeLabel = { ack: 'acked', nak: 'nakked', 'dead-letter': 'dead_lettered' } as const;

/** Counts every delivery by outcome, redeliveries, in-flight messages and processing time. */
export function metrics(m: MessagingMetrics): Middleware {
  // Labelled children looked up by a plain string key: prom-client would otherwise sort and
  // join a label object on every observation (four per message).
  const consumers = new Map<string, ReturnType<MessagingMetrics['inFlight']['labels']>>();
  const subjects = new Map<string, ReturnType<MessagingMetrics['redelivered']['labels']>>();
  const outcomes = new Map<string, { consumed: { inc(): void }; duration: { observe(value: number): void } }>();
  return (next) => async (delivery) => {
    const { subjectTemplate: subject, consumer } = delivery;
    const key = `${consumer} ${subject}`;
    let inFlight = consumers.get(consumer);
    if (!inFlight) consumers.set(consumer, (inFlight = m.inFlight.labels({ consumer })));
    if (delivery.deliveryCount > 1) {
      let redelivered = subjects.get(key);
      if (!redelivered) subjects.set(key, (redelivered = m.redelivered.labels({ subject, consumer })));
      redelivered.inc();
    }
    inFlight.inc();
    const started = process.hrtime.bigint();
    try {
      const outcome = await next(delivery);
      const outcomeName = outcome.action === 'ack' && outcome.skipped ? 'skipped' : outcomeLabel[outcome.action];
      const outcomeKey = `${key} ${outcomeName}`;
      let child = outcomes.get(outcomeKey);
      if (!child) {
        const labels = { subject, consumer, outcome: outcomeName };
        outcomes.set(outcomeKey, (child = { consumed: m.consumed.labels(labels), duration: m.duration.labels(labels) }));
      }
      child.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
      child.consumed.inc();
      return outcome;
    } finally {
      inFlight.dec();
    }
  };
}
