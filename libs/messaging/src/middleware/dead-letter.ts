import { PermanentError, SchemaViolationError } from '../errors';
import type { Middleware } from './middleware';

/**
 * Turns what retrying cannot fix into a dead letter: a {@link PermanentError} (schema
 * violations included) at once, and a failure on the last delivery the consumer allows
 * (`maxDeliver`, read at each delivery; -1 or 0 for no limit) — after which the server
 * would otherwise park the message, with only an advisory to say so.
 */
export function deadLetter(maxDeliver: number | (() => number)): Middleware {
  const limit = typeof maxDeliver === 'number' ? () => maxDeliver : maxDeliver;
  return (next) => async (delivery) => {
    try {
      const outcome = await next(delivery);
      if (outcome.action === 'nak' && isLastDelivery(delivery.deliveryCount, limit())) {
        const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
        return { action: 'dead-letter', reason: `exhausted ${delivery.deliveryCount} deliveries: ${message}` };
      }
      return outcome;
    } catch (error) {
      if (error instanceof SchemaViolationError) return { action: 'dead-letter', reason: error.message };
      if (error instanceof PermanentError) return { action: 'dead-letter', reason: `permanent: ${error.message}` };
      throw error;
    }
  };
}

/** True when the server will not deliver a message again after this delivery (`maxDeliver` -1 or 0: no limit). */
export function isLastDelivery(deliveryCount: number, maxDeliver: number): boolean {
  return maxDeliver > 0 && deliveryCount >= maxDeliver;
}
