import type { CreateOrderRequest } from '@tandem/contracts';
import { fulfil, newOrder, orderIdFor, requestFingerprint, type Order } from './order';
import type { OrderEvents, OrderRepository } from './ports';

/** Same Idempotency-Key, different body: answered 409. */
export class IdempotencyConflictError extends Error {
  readonly code = 'TANDEM_ERR_IDEMPOTENCY_CONFLICT';
  constructor(readonly orderId: string) {
    super(`Idempotency-Key already used for order ${orderId} with a different body`);
    this.name = 'IdempotencyConflictError';
  }
}

/** An order the fulfilment event names does not exist (yet): retry later. */
export class OrderNotFoundError extends Error {
  readonly code = 'TANDEM_ERR_ORDER_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`order ${orderId} not found`);
    this.name = 'OrderNotFoundError';
  }
}

export interface CreateOrderCommand {
  readonly request: CreateOrderRequest;
  readonly idempotencyKey?: string;
  readonly version: string;
  readonly now: Date;
}

/**
 * Creates an order, event first (docs/decisions/0007): the `orders.created` event is
 * stored before the order is written, and a retry with the same Idempotency-Key returns
 * the same order — from the read model, or from the stored event when the read model
 * does not have it yet. Throws {@link IdempotencyConflictError} for the same key with
 * another body; whatever the events port throws (event not stored) means nothing was stored.
 */
export async function createOrder(
  deps: { readonly orders: OrderRepository; readonly events: OrderEvents },
  command: CreateOrderCommand,
): Promise<{ order: Order; created: boolean }> {
  const id = orderIdFor(command.idempotencyKey);
  const fingerprint = requestFingerprint(command.request);
  const existing = await deps.orders.get(id);
  if (existing) {
    if (existing.fingerprint !== fingerprint) throw new IdempotencyConflictError(id);
    return { order: existing.order, created: false };
  }
  const candidate = newOrder(command.request, { id, version: command.version, now: command.now });
  const published = await deps.events.created(candidate, fingerprint);
  if (published.duplicate && published.fingerprint !== fingerprint) throw new IdempotencyConflictError(id);
  const order = published.duplicate ? published.order : candidate;
  if (!(await deps.orders.create(order, fingerprint))) {
    const stored = await deps.orders.get(id);
    if (stored && stored.fingerprint !== fingerprint) throw new IdempotencyConflictError(id);
    return { order: stored?.order ?? order, created: false };
  }
  return { order, created: !published.duplicate };
}

/**
 * Moves an order to `fulfilled` with compare-and-set; a second fulfilment changes
 * nothing. Throws {@link OrderNotFoundError} when the order is not there (yet).
 */
export async function fulfilOrder(orders: OrderRepository, orderId: string, at: Date): Promise<'fulfilled' | 'already-fulfilled'> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const stored = await orders.get(orderId);
    if (!stored) throw new OrderNotFoundError(orderId);
    const next = fulfil(stored.order, at);
    if (!next) return 'already-fulfilled';
    if (await orders.replace(next, stored.fingerprint, stored.revision)) return 'fulfilled';
  }
  throw new Error(`order ${orderId}: too many concurrent updates`);
}
