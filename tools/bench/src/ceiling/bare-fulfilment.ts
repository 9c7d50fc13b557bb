/**
 * Tandem's fulfilment broker work with no framework (bench yardstick, not product code):
 * a plain `consume()` loop, 16 messages in flight (Tandem's default), `JSON.parse`, no
 * validation, middleware, logger or telemetry. Per `orders.created.<id>`: publish
 * `<prefix>.<id>` with `Nats-Msg-Id` and `Nats-Expected-Last-Subject-Sequence: 0` awaiting the
 * PubAck ("wrong last sequence" = already there: fine), then `ackAck()`, as Tandem's consumer
 * runner does; a failure naks with 1 s delay (Tandem's first retry). Prints `consuming` once
 * ready and the counts at exit.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const CONCURRENCY = 16;

export async function runBareFulfilment(options: {
  readonly name: string;
  readonly natsUrl: string;
  readonly stream: string;
  readonly durable: string;
  /** Subject prefix of the fulfilled events (`orders.fulfilled`: `orders.fulfilled.<id>`). */
  readonly fulfilledPrefix: string;
}): Promise<void> {
  const nc = await connect({ servers: options.natsUrl, maxReconnectAttempts: -1 });
  const js = jetstream(nc);
  const count = { acked: 0, failed: 0, lastError: '' };
  const messages = await (await js.consumers.get(options.stream, options.durable)).consume({ max_messages: CONCURRENCY });
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const msg of messages) {
      const { orderId } = msg.json<{ orderId: string }>();
      const event = { eventVersion: 1, orderId, fulfilledAt: new Date().toISOString() };
      const done: Promise<void> = js
        .publish(`${options.fulfilledPrefix}.${orderId}`, JSON.stringify(event), {
          // per prefix: the yardstick and the fulfilment consumer drain the same backlog, and
          // a shared id would let the server drop the second one's events as duplicates
          msgID: `${options.fulfilledPrefix}-${orderId}`,
          expect: { lastSubjectSequence: 0 },
        })
        .catch((error: unknown) => {
          if (!/wrong last sequence/i.test(String(error))) throw error;
        })
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
  const stop = async () => {
    await messages.close();
    await loop;
    const last = count.lastError ? ` (last: ${count.lastError})` : '';
    process.stdout.write(`${options.name}: ${options.durable} ${count.acked} acked, ${count.failed} failed${last}\n`);
    await nc.drain();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdout.write('consuming\n');
}
