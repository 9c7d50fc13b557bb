/**
 * The ceiling's order service (bench yardstick, not product code): bare Fastify, no schema
 * validation library, no logger, no telemetry. `POST /orders` publishes the order to
 * JetStream, waits for the PubAck and answers 201 — the least any order service must do.
 * Env: PORT, HOST, NATS_URL, CEILING_SUBJECT.
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Fastify from 'fastify';

async function main(): Promise<void> {
  const subject = process.env['CEILING_SUBJECT'] ?? 'ceiling.created';
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', maxReconnectAttempts: -1 });
  const js = jetstream(nc);
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.post('/orders', async (request, reply) => {
    const body = request.body as { sku: string; qty: number; customerId?: string };
    const key = request.headers['idempotency-key'];
    const now = new Date().toISOString();
    const order = {
      id: randomUUID(),
      sku: body.sku,
      qty: body.qty,
      status: 'accepted',
      createdAt: now,
      updatedAt: now,
      version: 'ceiling',
    };
    await js.publish(subject, JSON.stringify(order), { msgID: typeof key === 'string' ? key : order.id });
    return reply.code(201).header('location', `/orders/${order.id}`).header('x-order-version', 'ceiling').send(order);
  });
  await app.listen({ port: Number(process.env['PORT'] ?? 0), host: process.env['HOST'] ?? '127.0.0.1' });
  const stop = async () => {
    await app.close();
    await nc.drain();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`ceiling-service: ${String(error)}\n`);
  process.exit(1);
});
