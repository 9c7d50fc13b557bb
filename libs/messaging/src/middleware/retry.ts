import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '@tandem/runtime';
import { PermanentError } from '../errors';
import type { Middleware } from './middleware';

/**
 * A handler that throws is retried by the server: `nak` with a delay that grows with the
 * delivery count (1 s, 2 s, ×1.5 up to 30 s by default) — never a plain `nak`, which
 * would redeliver at once in a hot loop. Permanent errors pass through untouched.
 */
export function retry(policy: BackoffPolicy = DEFAULT_BACKOFF): Middleware {
  return (next) => async (delivery) => {
    try {
      return await next(delivery);
    } catch (error) {
      if (error instanceof PermanentError) throw error;
      const delayMs = backoffDelay(delivery.deliveryCount - 1, policy);
      delivery.logger.warn({ err: error, redeliverInMs: delayMs }, 'handler failed; message will be redelivered');
      return { action: 'nak', delayMs, error };
    }
  };
}
