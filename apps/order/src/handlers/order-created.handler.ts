import type { OrderCreatedV1 } from '@tandem/contracts';
import type { MessageHandler } from '@tandem/messaging';
import type { OrderRepository } from '@tandem/orders';
import { FINGERPRINT_HEADER, orderFromCreatedEvent } from '../adapters/jetstream-order-events';

/**
 * `orders.created` → make sure the read model has the order (docs/decisions/0007): covers
 * a crash between the event's PubAck and the KV write. Existing entries are left alone.
 */
export function orderCreatedProjection(orders: OrderRepository): MessageHandler<OrderCreatedV1> {
  return async (event, context) => {
    if (await orders.get(event.orderId)) return;
    const fingerprint = context.headers?.get(FINGERPRINT_HEADER) ?? '';
    if (await orders.create(orderFromCreatedEvent(event), fingerprint))
      context.logger.warn({ orderId: event.orderId }, 'order restored from its event');
  };
}
