/**
 * The ceiling's order service (bench yardstick, not product code): bare Fastify, no schema
 * validation library, no logger, no telemetry. `POST /orders` publishes the order to
 * JetStream, waits for the PubAck and answers 201 — the least any order service must do.
 *
 * With `CEILING_WORK=design` it does the broker work of Tandem's order service per POST
 * (docs/decisions/0007), still bare: KV get of the id derived from the Idempotency-Key,
 * publish with `Nats-Msg-Id: order-created-<id>` awaiting the PubAck, KV create → 201; it
 * prints at exit how many orders the projection (design-workers.ts) had written first.
 * Env: PORT, HOST, NATS_URL, CEILING_SUBJECT, CEILING_WORK, CEILING_BUCKET.
 */
import { createHash, randomUUID } from 'node:crypto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, headers } from '@nats-io/transport-node';
import Fastify from 'fastify';

type Body = { sku: string; qty: number; customerId?: string };

/** Like Tandem's `orderIdFor` (a UUIDv8 from sha256 of the key) and `requestFingerprint` (libs/orders). */
function orderId(key: string): string {
  const hex = createHash('sha256').update(`tandem-order:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
const fingerprint = (body: Body) =>
  createHash('sha256')
    .update(JSON.stringify([body.sku, body.qty, body.customerId ?? null]))
    .digest('base64url');

type Order = { id: string; sku: string; qty: number; createdAt: string; version: string };

/**
 * Tandem's order creation (libs/orders `createOrder`), bare: KV get, publish awaiting the
 * PubAck, KV create. An entry present at the create was written by the projection from the
 * event: answered with it (replayed), as Tandem does.
 */
async function createAsDesigned(js: JetStreamClient, kv: KV, subject: string, order: Order, body: Body) {
  const existing = await kv.get(order.id);
  if (existing?.operation === 'PUT') return { order: existing.json<{ order: unknown }>().order, replayed: true };
  const print = fingerprint(body);
  const h = headers();
  h.set('Tandem-Request-Fingerprint', print);
  const event = {
    eventVersion: 1,
    orderId: order.id,
    sku: order.sku,
    qty: order.qty,
    createdAt: order.createdAt,
    serviceVersion: order.version,
  };
  await js.publish(subject, JSON.stringify(event), { msgID: `order-created-${order.id}`, headers: h });
  try {
    await kv.create(order.id, JSON.stringify({ order, fingerprint: print }));
    return { order, replayed: false };
  } catch (error) {
    if (!/wrong last sequence/i.test(String(error))) throw error;
    return { order: (await kv.get(order.id))?.json<{ order: unknown }>().order, replayed: true };
  }
}

async function main(): Promise<void> {
  const subject = process.env['CEILING_SUBJECT'] ?? 'ceiling.created';
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', maxReconnectAttempts: -1 });
  const js = jetstream(nc);
  const kv: KV | undefined =
    process.env['CEILING_WORK'] === 'design' ? await new Kvm(nc).open(process.env['CEILING_BUCKET'] ?? 'orders') : undefined;
  let replayed = 0;
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.post('/orders', async (request, reply) => {
    const body = request.body as Body;
    const key = request.headers['idempotency-key'];
    const now = new Date().toISOString();
    const order = {
      id: typeof key === 'string' && kv ? orderId(key) : randomUUID(),
      sku: body.sku,
      qty: body.qty,
      status: 'accepted',
      createdAt: now,
      updatedAt: now,
      version: 'ceiling',
    };
    if (kv) {
      const result = await createAsDesigned(js, kv, subject, order, body);
      if (result.replayed) {
        replayed++;
        return reply.code(201).header('idempotent-replayed', 'true').send(result.order);
      }
    } else {
      await js.publish(subject, JSON.stringify(order), { msgID: typeof key === 'string' ? key : order.id });
    }
    return reply.code(201).header('location', `/orders/${order.id}`).header('x-order-version', 'ceiling').send(order);
  });
  await app.listen({ port: Number(process.env['PORT'] ?? 0), host: process.env['HOST'] ?? '127.0.0.1' });
  const stop = async () => {
    await app.close();
    if (kv) process.stdout.write(`ceiling-service: ${replayed} orders were in KV already at their create\n`);
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
