import Type, { type Static } from 'typebox';
import { CustomerId, OrderId, Quantity, Sku } from './orders.schemas';
import { Subjects } from './subjects';

/**
 * Order events (SPEC §4), versioned: `eventVersion` is part of the body, and a new
 * incompatible shape gets a new version (consumers accept the versions they know).
 * Each is stored on the order's own subject (`orders.created.<id>`, `orders.fulfilled.<id>`), once:
 * a create expects the subject to be empty, and `Nats-Msg-Id` is derived from the order id.
 */
export const OrderCreatedV1 = Type.Object(
  {
    eventVersion: Type.Literal(1),
    orderId: OrderId,
    sku: Sku,
    qty: Quantity,
    customerId: Type.Optional(CustomerId),
    createdAt: Type.String({ format: 'date-time' }),
    serviceVersion: Type.String({ minLength: 1, maxLength: 63 }),
  },
  { $id: 'OrderCreatedV1', additionalProperties: false },
);
export type OrderCreatedV1 = Static<typeof OrderCreatedV1>;

export const OrderFulfilledV1 = Type.Object(
  {
    eventVersion: Type.Literal(1),
    orderId: OrderId,
    fulfilledAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'OrderFulfilledV1', additionalProperties: false },
);
export type OrderFulfilledV1 = Static<typeof OrderFulfilledV1>;

/** Event types as the messaging lib takes them: subject + schema. */
export const OrderEvents = Object.freeze({
  created: { subject: Subjects.orderCreated, schema: OrderCreatedV1 },
  fulfilled: { subject: Subjects.orderFulfilled, schema: OrderFulfilledV1 },
} as const);

/** `Nats-Msg-Id` of an order's events: one created and one fulfilled event per order, ever. */
export function eventMessageId(kind: 'created' | 'fulfilled', orderId: string): string {
  return `order-${kind}-${orderId}`;
}
