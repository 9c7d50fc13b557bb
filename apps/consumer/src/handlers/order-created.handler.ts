import { eventMessageId, OrderEvents, type OrderCreatedV1 } from '@tandem/contracts';
import { delay } from '@tandem/runtime';
import type { MessageHandler, Publisher } from '@tandem/messaging';

export interface FulfilmentOptions {
  /** Simulated work per order. */
  readonly delayMs: number;
  /** Share of attempts that fail (0..1), to show retries and the dead-letter queue. */
  readonly failRate: number;
  readonly random?: () => number;
}

/**
 * The fulfilment worker: `orders.created` → (simulated work) → `orders.fulfilled`, with the
 * event's message id derived from the order id, so a redelivered order publishes the same
 * event once.
 */
export function fulfilmentHandler(publisher: Publisher, options: FulfilmentOptions): MessageHandler<OrderCreatedV1> {
  const random = options.random ?? Math.random;
  return async (event, context) => {
    if (options.delayMs > 0) await delay(options.delayMs, context.signal);
    if (options.failRate > 0 && random() < options.failRate) throw new Error('simulated fulfilment failure (FULFILMENT_FAIL_RATE)');
    await publisher.publish(
      OrderEvents.fulfilled,
      { eventVersion: 1, orderId: event.orderId, fulfilledAt: new Date().toISOString() },
      { msgId: eventMessageId('fulfilled', event.orderId) },
    );
    context.logger.info({ orderId: event.orderId }, 'order fulfilled');
  };
}
