/**
 * The broker work of Tandem's three durables (bench yardstick, not product code), bare: plain
 * `consume()` loops, 16 messages in flight per durable (Tandem's default), `JSON.parse`, no
 * validation, middleware, logger or telemetry; names from `@tandem/contracts`' Topology.
 * Per `orders.created`: `order-projection` gets the KV entry (creates it if missing);
 * `fulfilment` publishes `orders.fulfilled` (msg id `order-fulfilled-<id>`, awaiting the
 * PubAck). Per `orders.fulfilled`: `order-status` gets the entry and updates it to fulfilled
 * (compare-and-set on its revision). Each then acks with `ackAck()`, as Tandem's consumer
 * runner does; a failure naks with 1 s delay (Tandem's first retry). Prints `consuming` once
 * ready and the counts at exit. Env: NATS_URL.
 */
import { jetstream, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { eventMessageId, Subjects, Topology } from '@tandem/contracts';

const CONCURRENCY = 16;
/** A KV create or update lost a race (the entry exists, or changed since it was read). */
const WRONG_LAST_SEQUENCE = /wrong last sequence/i;

type Stored = { order: { status: string; updatedAt: string }; fingerprint: string };

async function project(kv: KV, msg: JsMsg): Promise<void> {
  const event = msg.json<{ orderId: string }>();
  const entry = await kv.get(event.orderId);
  if (entry?.operation === 'PUT') return;
  const fingerprint = msg.headers?.get('Tandem-Request-Fingerprint') ?? '';
  await kv.create(event.orderId, JSON.stringify({ order: { ...event, status: 'accepted' }, fingerprint })).catch((error: unknown) => {
    if (!WRONG_LAST_SEQUENCE.test(String(error))) throw error; // else: created meanwhile, fine
  });
}

async function fulfil(js: JetStreamClient, msg: JsMsg): Promise<void> {
  const { orderId } = msg.json<{ orderId: string }>();
  const event = { eventVersion: 1, orderId, fulfilledAt: new Date().toISOString() };
  await js.publish(Subjects.orderFulfilled, JSON.stringify(event), { msgID: eventMessageId('fulfilled', orderId) });
}

async function recordFulfilment(kv: KV, msg: JsMsg): Promise<void> {
  const { orderId } = msg.json<{ orderId: string }>();
  for (;;) {
    const entry = await kv.get(orderId);
    if (entry?.operation !== 'PUT') throw new Error(`order ${orderId} not found`);
    const stored = entry.json<Stored>();
    if (stored.order.status === 'fulfilled') return;
    const order = { ...stored.order, status: 'fulfilled', updatedAt: new Date().toISOString() };
    const updated = await kv.update(orderId, JSON.stringify({ order, fingerprint: stored.fingerprint }), entry.revision).then(
      () => true,
      (error: unknown) => {
        if (WRONG_LAST_SEQUENCE.test(String(error))) return false; // changed meanwhile: read again
        throw error;
      },
    );
    if (updated) return;
  }
}

async function main(): Promise<void> {
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', maxReconnectAttempts: -1 });
  const js = jetstream(nc);
  const kv = await new Kvm(nc).open(Topology.ordersBucket.name);
  const counts: Record<string, { acked: number; failed: number; lastError?: string }> = {};

  async function run(spec: { stream: string; durable: string }, handle: (msg: JsMsg) => Promise<void>) {
    const count: (typeof counts)[string] = { acked: 0, failed: 0 };
    counts[spec.durable] = count;
    const messages = await (await js.consumers.get(spec.stream, spec.durable)).consume({ max_messages: CONCURRENCY });
    const inFlight = new Set<Promise<void>>();
    const loop = (async () => {
      for await (const msg of messages) {
        const done: Promise<void> = handle(msg)
          .then(async () => {
            await msg.ackAck();
            count.acked++;
          })
          .catch((error: unknown) => {
            msg.nak(1_000);
            count.failed++;
            count.lastError = String(error);
          })
          .finally(() => inFlight.delete(done));
        inFlight.add(done);
        if (inFlight.size >= CONCURRENCY) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();
    return {
      async close() {
        await messages.close();
        await loop;
      },
    };
  }

  const loops = [
    await run(Topology.orderProjectionConsumer, (msg) => project(kv, msg)),
    await run(Topology.fulfilmentConsumer, (msg) => fulfil(js, msg)),
    await run(Topology.orderStatusConsumer, (msg) => recordFulfilment(kv, msg)),
  ];
  const stop = async () => {
    for (const loop of loops) await loop.close();
    const summary = Object.entries(counts).map(
      ([durable, c]) => `${durable} ${c.acked} acked, ${c.failed} failed${c.lastError ? ` (last: ${c.lastError})` : ''}`,
    );
    process.stdout.write(`design-workers: ${summary.join('; ')}\n`);
    await nc.drain();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdout.write('consuming\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`design-workers: ${String(error)}\n`);
  process.exit(1);
});
