import { JetStreamApiError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { RuntimeError } from '@tandem/runtime';

/** The catalogue code the order API answers with 503 and `Retry-After` (apps/order/src/app.ts). */
export const NATS_UNAVAILABLE = 'TANDEM_ERR_NATS_UNAVAILABLE';

/**
 * True when `error` says JetStream could not be reached or did not answer in time —
 * the connection dropped or closed while a request was in flight, nobody answered, the
 * request timed out, or the JetStream API reported itself unavailable (503, e.g. during a
 * leader election) — as opposed to an answer that something is wrong. A refused
 * permission is not unavailability: retrying will not help.
 */
export function isNatsUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof PermissionViolationError) return false;
  }
  if (error instanceof RequestError) return !(error.cause instanceof PermissionViolationError);
  if (error instanceof JetStreamApiError) return error.status === 503;
  return [TimeoutError, NoRespondersError, ClosedConnectionError, DrainingConnectionError, ConnectionError].some(
    (type) => error instanceof type,
  );
}

/**
 * Runs a JetStream call for an HTTP request: unavailability becomes
 * `TANDEM_ERR_NATS_UNAVAILABLE` (→ 503, retry with the same Idempotency-Key), so a broker
 * that dies mid-request is never answered 500. Other errors pass unchanged.
 */
export async function unavailableAs503<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof RuntimeError || !isNatsUnavailable(error)) throw error;
    throw new RuntimeError(NATS_UNAVAILABLE, `NATS unavailable during ${what}: ${(error as Error).message}`, { cause: error });
  }
}
