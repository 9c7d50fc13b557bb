import { isNatsUnavailable } from '@tandem/messaging';
import { RuntimeError } from '@tandem/runtime';

/** The catalogue code the order API answers with 503 and `Retry-After` (libs/order-service/src/app.ts). */
export const NATS_UNAVAILABLE = 'TANDEM_ERR_NATS_UNAVAILABLE';

/**
 * Runs a JetStream call for an HTTP request: unavailability (messaging's
 * `isNatsUnavailable`) becomes `TANDEM_ERR_NATS_UNAVAILABLE` (→ 503, retry with the same
 * Idempotency-Key), so a broker that dies mid-request is never answered 500. Other errors
 * pass unchanged.
 */
export async function unavailableAs503<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RuntimeError || !isNatsUnavailable(error)) throw error;
    throw new RuntimeError(NATS_UNAVAILABLE, `NATS unavailable during ${what}: ${(error as Error).message}`, { cause: error });
  }
}
