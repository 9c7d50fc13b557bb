import { eventMessageId, OrderEvents, orderSubject, type OrderCreatedV1 } from '@tandem/contracts';
import { delay } from '@tandem/runtime';
import { SubjectSequenceMismatchError, type MessageHandler, type Publisher } from '@tandem/messaging';

export interface FulfilmentOptions {
  /** Simulated work per order. */
  readonly delayMs: number;
  /** Share of attempts that fail (0..1), to show retries and the dead-letter queue. */
  readonly failRate: number;
  readonly random?: () => number;
}

/**
 * The fulfilment worker: `orders.created.<id>` → (simulated work) → `orders.fulfilled.<id>`.
 * The fulfilled event is stored only while the order's fulfilled subject is empty
 * (expected last subject sequence 0), so a redelivery — however late, after a crash, past
 * the duplicate window — never stores a second one: the server's refusal means "already
 * fulfilled", and the message is acked.
 */
export function fulfilmentHandler(publisher: Publisher, options: FulfilmentOptions): MessageHandler<OrderCreatedV1> {
  const random = options.random ?? Math.random;
  return async (event, context) => {
    if (options.delayMs > 0) await delay(options.delayMs, context.signal);
    if (options.failRate > 0 && random() < options.failRate) throw new Error('simulated fulfilment failure (FULFILMENT_FAIL_RATE)');
    try {
      await publisher.publish(
        OrderEvents.fulfilled,
        { eventVersion: 1, orderId: event.orderId, fulfilledAt: new Date().toISOString() },
        {
          subject: orderSubject('fulfilled', event.orderId),
          msgId: eventMessageId('fulfilled', event.orderId),
          expectLastSubjectSequence: 0,
        },
      );
      context.logger.info({ orderId: event.orderId }, 'order fulfilled');
    } catch (error) {
      if (!(error instanceof SubjectSequenceMismatchError)) throw error;
      context.logger.info({ orderId: event.orderId, fulfilledSeq: error.lastSequence }, 'order already fulfilled');
    }
  };
}
