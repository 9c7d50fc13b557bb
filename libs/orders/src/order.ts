import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { CreateOrderRequest, OrderCreatedV1, OrderFulfilledV1, OrderResponse } from '@tandem/contracts';
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

/** Secrets shorter than this are refused in production (ORDER_ID_SECRET): 32 bytes of entropy. */
export const MIN_ORDER_ID_SECRET_LENGTH = 32;

/**
 * The order id for a request: derived from the `Idempotency-Key` when there is one (the
 * same key always names the same order, on any instance sharing the secret), random
 * otherwise. An HMAC-SHA256 of the key under a server-side secret (`ORDER_ID_SECRET`), so
 * knowing a key does not reveal the order's id; formatted as an RFC 9562 UUIDv8.
 */
export function orderIdFor(idempotencyKey: string | undefined, secret: string): string {
  if (idempotencyKey === undefined) return randomUUID();
  const hash = createHmac('sha256', secret).update(`tandem-order:${idempotencyKey}`, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x80; // version 8
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The order as its stored events tell it (docs/decisions/0012): created by `orders.created`,
 * fulfilled at `fulfilledAt` once there is an `orders.fulfilled`.
 */
export function orderFromEvents(created: OrderCreatedV1, fulfilled?: OrderFulfilledV1): Order {
  const order = newOrder(
    { sku: created.sku, qty: created.qty, ...(created.customerId === undefined ? {} : { customerId: created.customerId }) },
    { id: created.orderId, version: created.serviceVersion, now: new Date(created.createdAt) },
  );
  return fulfilled ? (fulfil(order, new Date(fulfilled.fulfilledAt)) ?? order) : order;
}

/** The `orders.created` event that stores a new order. */
export function createdEvent(order: Order): OrderCreatedV1 {
  return {
    eventVersion: 1,
    orderId: order.id,
    sku: order.sku,
    qty: order.qty,
    ...(order.customerId === undefined ? {} : { customerId: order.customerId }),
    createdAt: order.createdAt,
    serviceVersion: order.version,
  };
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
