import type { CreateOrderRequest } from '@tandem/contracts';
import { newOrder, requestFingerprint, type Order } from './order';
import type { OrderLog } from './ports';

/** Same Idempotency-Key, different body: answered 409. */
export class IdempotencyConflictError extends Error {
  readonly code = 'TANDEM_ERR_IDEMPOTENCY_CONFLICT';
  constructor(readonly orderId: string) {
    super(`Idempotency-Key already used for order ${orderId} with a different body`);
    this.name = 'IdempotencyConflictError';
  }
}

export interface CreateOrderCommand {
  readonly request: CreateOrderRequest;
  readonly idempotencyKey?: string;
  readonly version: string;
  readonly now: Date;
}

/** Names the order of a request: the same key, the same id (see `orderIdFor`). */
export type OrderIdSource = (idempotencyKey: string | undefined) => string;

/**
 * Creates an order with one write (docs/decisions/0012): its `orders.created` is stored only
 * if the order's subject is empty. A retry with the same Idempotency-Key and body finds its
 * order there and gets it back (`created: false`); the same key with another body throws
 * {@link IdempotencyConflictError}. Whatever the log throws means nothing was stored.
 */
export async function createOrder(
  deps: { readonly log: OrderLog; readonly orderIds: OrderIdSource },
  command: CreateOrderCommand,
): Promise<{ order: Order; created: boolean }> {
  const id = deps.orderIds(command.idempotencyKey);
  const fingerprint = requestFingerprint(command.request);
  const order = newOrder(command.request, { id, version: command.version, now: command.now });
  const result = await deps.log.create(order, fingerprint);
  if (result.stored) return { order, created: true };
  if (result.existing.fingerprint !== fingerprint) throw new IdempotencyConflictError(id);
  return { order: result.existing.order, created: false };
}
