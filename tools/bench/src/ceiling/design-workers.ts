/**
 * The broker work of Tandem's one durable (bench yardstick, not product code), bare: the
 * `fulfilment` consumer as a plain loop (./bare-fulfilment.ts), publishing `orders.fulfilled.<id>`.
 * Env: NATS_URL.
 */
import { Topology } from '@tandem/contracts';
import { runBareFulfilment } from './bare-fulfilment';

runBareFulfilment({
  name: 'design-workers',
  natsUrl: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
  stream: Topology.fulfilmentConsumer.stream,
  durable: Topology.fulfilmentConsumer.durable,
  fulfilledPrefix: 'orders.fulfilled',
}).catch((error: unknown) => {
  process.stderr.write(`design-workers: ${String(error)}\n`);
  process.exit(1);
});
