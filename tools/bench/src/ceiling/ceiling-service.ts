/**
 * The ceiling's order service (bench yardstick, not product code): bare Fastify, no schema
 * validation library, no logger, no telemetry. `POST /orders` publishes the order to
 * JetStream, waits for the PubAck and answers 201 — the least any order service must do.
 *
 * With `CEILING_WORK=design` it does the broker work of Tandem's order service per POST
 * (docs/decisions/0012), still bare: one publish to `orders.created.<id>` (id derived from
 * the Idempotency-Key) with `Nats-Msg-Id`, the fingerprint header and
 * `Nats-Expected-Last-Subject-Sequence: 0`, awaiting the PubAck → 201; when the subject
 * already holds the order, the stored message is read back by sequence and answered
 * (replayed), as Tandem does. It prints at exit how many were replayed.
 * Env: PORT, HOST, NATS_URL, CEILING_SUBJECT, CEILING_WORK, CEILING_STREAM.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import Fastify from 'fastify';

type Body = { sku: string; qty: number; customerId?: string };

/** Like Tandem's `orderIdFor` (a UUIDv8 from an HMAC of the key) and `requestFingerprint` (libs/orders). */
function orderId(key: string): string {
  const hex = createHmac('sha256', 'ceiling-secret-ceiling-secret-ceiling').update(`tandem-order:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
const fingerprint = (body: Body) =>
  createHash('sha256')
    .update(JSON.stringify([body.sku, body.qty, body.customerId ?? null]))
    .digest('base64url');

type Order = { id: string; sku: string; qty: number; createdAt: string; version: string };

/**
 * Tandem's order creation (libs/orders `createOrder`), bare: one publish expecting the
 * order's subject to be empty; on "wrong last sequence N" the message N is read and answered.
 */
async function createAsDesigned(js: JetStreamClient, jsm: JetStreamManager, stream: string, order: Order, body: Body) {
  const h = headers();
  h.set('Tandem-Request-Fingerprint', fingerprint(body));
  const event = {
    eventVersion: 1,
    orderId: order.id,
    sku: order.sku,
    qty: order.qty,
    createdAt: order.createdAt,
    serviceVersion: order.version,
  };
  try {
    await js.publish(`orders.created.${order.id}`, JSON.stringify(event), {
      msgID: `order-created-${order.id}`,
      headers: h,
      expect: { lastSubjectSequence: 0 },
    });
    return { order, replayed: false };
  } catch (error) {
    const last = /wrong last sequence: (\d+)/i.exec(String(error));
    if (!last) throw error;
    const stored = await jsm.streams.getMessage(stream, { seq: Number(last[1]) });
    return { order: stored?.json<unknown>(), replayed: true };
  }
}

async function main(): Promise<void> {
  const subject = process.env['CEILING_SUBJECT'] ?? 'ceiling.created';
  const stream = process.env['CEILING_STREAM'] ?? 'ORDERS';
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', maxReconnectAttempts: -1 });
  const js = jetstream(nc);
  const jsm = process.env['CEILING_WORK'] === 'design' ? await jetstreamManager(nc, { checkAPI: false }) : undefined;
  let replayed = 0;
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.post('/orders', async (request, reply) => {
    const body = request.body as Body;
    const key = request.headers['idempotency-key'];
    const now = new Date().toISOString();
    const order = {
      id: typeof key === 'string' && jsm ? orderId(key) : randomUUID(),
      sku: body.sku,
      qty: body.qty,
      status: 'accepted',
      createdAt: now,
      updatedAt: now,
      version: 'ceiling',
    };
    if (jsm) {
      const result = await createAsDesigned(js, jsm, stream, order, body);
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
    if (jsm) process.stdout.write(`ceiling-service: ${replayed} orders were stored already at their create\n`);
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
