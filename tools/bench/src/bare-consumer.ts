/**
 * The consumer throughput yardstick (bench only): the fulfilment consumer's broker work with
 * no framework (./ceiling/bare-fulfilment.ts) — consume, publish with an expected last
 * subject sequence of 0, ack — over its own durable. Its fulfilled events go to
 * `FULFILLED_PREFIX.<id>` (default `orders.bare-fulfilled`), so the fulfilment consumer that
 * drains the same backlog afterwards finds its own subjects empty, as in production.
 * Runs until SIGTERM. Env: NATS_URL, STREAM, DURABLE, FULFILLED_PREFIX.
 */
import { runBareFulfilment } from './ceiling/bare-fulfilment';

runBareFulfilment({
  name: 'bare-consumer',
  natsUrl: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
  stream: process.env['STREAM'] ?? 'ORDERS',
  durable: process.env['DURABLE'] ?? 'bench-bare',
  fulfilledPrefix: process.env['FULFILLED_PREFIX'] ?? 'orders.bare-fulfilled',
}).catch((error: unknown) => {
  process.stderr.write(`bare-consumer: ${String(error)}\n`);
  process.exit(1);
});
