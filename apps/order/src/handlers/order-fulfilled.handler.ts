import type { OrderFulfilledV1 } from '@tandem/contracts';
import type { MessageHandler } from '@tandem/messaging';
import { fulfilOrder, type OrderRepository } from '@tandem/orders';

/** `orders.fulfilled` → the order becomes `fulfilled` (compare-and-set; a redelivery changes nothing). */
export function orderFulfilledHandler(orders: OrderRepository): MessageHandler<OrderFulfilledV1> {
  return async (event, context) => {
    const result = await fulfilOrder(orders, event.orderId, new Date(event.fulfilledAt));
    context.logger.info({ orderId: event.orderId, result }, 'order fulfilment recorded');
  };
}
