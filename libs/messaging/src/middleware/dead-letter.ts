import { PermanentError, SchemaViolationError } from '../errors';
import type { Middleware } from './middleware';

/**
 * Turns what retrying cannot fix into a dead letter: a {@link PermanentError} (schema
 * violations included) at once, and a failure on the last delivery the consumer allows
 * (`maxDeliver`) — after which the server would otherwise park the message silently.
 */
export function deadLetter(maxDeliver: number): Middleware {
  return (next) => async (delivery) => {
    try {
      const outcome = await next(delivery);
      if (outcome.action === 'nak' && delivery.deliveryCount >= maxDeliver) {
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
