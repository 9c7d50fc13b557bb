import { createHash, randomUUID } from 'node:crypto';
import type { CreateOrderRequest, OrderResponse } from '@tandem/contracts';
import { canTransition } from './order-status';

/** An order as the domain keeps it (the same shape the API returns). */
export type Order = OrderResponse;

/** What creating an order needs besides the request. */
export interface NewOrderContext {
  readonly id: string;
  /** SERVICE_VERSION of the instance creating it. */
  readonly version: string;
  readonly now: Date;
}

const DELIVERY_DAYS = 3;

/**
 * A new order in state `accepted`. Version `v2` adds `estimatedDelivery` (now + 3 days),
 * so a canary split is visible in responses.
 */
export function newOrder(request: CreateOrderRequest, context: NewOrderContext): Order {
  const at = context.now.toISOString();
  return {
    id: context.id,
    sku: request.sku,
    qty: request.qty,
    ...(request.customerId === undefined ? {} : { customerId: request.customerId }),
    status: 'accepted',
    createdAt: at,
    updatedAt: at,
    version: context.version,
    ...(context.version === 'v2' ? { estimatedDelivery: addDays(context.now, DELIVERY_DAYS) } : {}),
  };
}

/** The order fulfilled at `at`, or `undefined` when it already is (fulfilling twice changes nothing). */
export function fulfil(order: Order, at: Date): Order | undefined {
  if (!canTransition(order.status, 'fulfilled')) return undefined;
  return { ...order, status: 'fulfilled', updatedAt: at.toISOString() };
}

/**
 * The order id for a request: derived from the `Idempotency-Key` when there is one (the
 * same key always names the same order, on any instance), random otherwise. Formatted as
 * an RFC 9562 UUIDv8 from SHA-256 of the key.
 */
export function orderIdFor(idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  const hash = createHash('sha256').update(`tandem-order:${idempotencyKey}`, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x80; // version 8
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A fingerprint of the request body, independent of key order, to tell a retry (same
 * key, same body → the same order) from a conflict (same key, other body → 409).
 */
export function requestFingerprint(request: CreateOrderRequest): string {
  const canonical = JSON.stringify([request.sku, request.qty, request.customerId ?? null]);
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

function addDays(date: Date, days: number): string {
  return new Date(date.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}
