import { jetstreamManager } from '@nats-io/jetstream';
import { eventMessageId, OrderEvents as Events, type OrderCreatedV1 } from '@tandem/contracts';
import type { NatsConnectionComponent, Publisher } from '@tandem/messaging';
import { newOrder, type CreatedEventResult, type Order, type OrderEvents } from '@tandem/orders';
import { unavailableAs503 } from './nats-unavailable';

/** Header carrying the request fingerprint on `orders.created` (docs/decisions/0007). */
export const FINGERPRINT_HEADER = 'Tandem-Request-Fingerprint';

/** The order as its `orders.created` event describes it. */
export function orderFromCreatedEvent(event: OrderCreatedV1): Order {
  return newOrder(
    { sku: event.sku, qty: event.qty, ...(event.customerId === undefined ? {} : { customerId: event.customerId }) },
    { id: event.orderId, version: event.serviceVersion, now: new Date(event.createdAt) },
  );
}

/** Publishes order events through the messaging Publisher (dedupe by order id). */
export class JetStreamOrderEvents implements OrderEvents {
  constructor(
    private readonly publisher: Publisher,
    private readonly nats: NatsConnectionComponent,
  ) {}

  async created(order: Order, fingerprint: string): Promise<CreatedEventResult> {
    const body: OrderCreatedV1 = {
      eventVersion: 1,
      orderId: order.id,
      sku: order.sku,
      qty: order.qty,
      ...(order.customerId === undefined ? {} : { customerId: order.customerId }),
      createdAt: order.createdAt,
      serviceVersion: order.version,
    };
    const ack = await this.publisher.publish(Events.created, body, {
      msgId: eventMessageId('created', order.id),
      headers: { [FINGERPRINT_HEADER]: fingerprint },
    });
    if (!ack.duplicate) return { duplicate: false };
    // A retry: the PubAck names the message stored the first time.
    const stored = await unavailableAs503('reading the stored orders.created', async () =>
      (await jetstreamManager(await this.nats.whenConnected())).streams.getMessage(ack.stream, { seq: ack.seq }),
    );
    if (!stored) throw new Error(`orders.created ${ack.seq} was acknowledged as a duplicate but cannot be read`);
    return {
      duplicate: true,
      order: orderFromCreatedEvent(stored.json<OrderCreatedV1>()),
      fingerprint: stored.header.get(FINGERPRINT_HEADER),
    };
  }
}
