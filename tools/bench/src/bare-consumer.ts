/**
 * The consumer throughput yardstick (bench only): a bare `consume()` + `ack()` loop over a
 * durable pull consumer — no decoding, validation, middleware, logging or telemetry.
 * Runs until SIGTERM. Env: NATS_URL, STREAM, DURABLE.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

async function main(): Promise<void> {
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', maxReconnectAttempts: -1 });
  const consumer = await jetstream(nc).consumers.get(process.env['STREAM'] ?? 'ORDERS', process.env['DURABLE'] ?? 'bench-bare');
  const messages = await consumer.consume();
  const stop = async () => {
    await messages.close();
    await nc.drain();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.stdout.write('consuming\n');
  for await (const msg of messages) msg.ack();
}

main().catch((error: unknown) => {
  process.stderr.write(`bare-consumer: ${String(error)}\n`);
  process.exit(1);
});
