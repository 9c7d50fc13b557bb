import Type, { type Static } from 'typebox';

/**
 * HTTP bodies of the order API (SPEC §3). One schema each: Fastify validates requests
 * with it, TypeScript types come from it, and the OpenAPI document is generated from it.
 */

export const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'Stock keeping unit: 1–64 of A–Z, a–z, 0–9, "-", "_"',
});
export const Quantity = Type.Integer({ minimum: 1, maximum: 1000, description: 'How many, 1–1000' });
export const CustomerId = Type.String({ minLength: 1, maxLength: 128, description: 'Opaque customer reference, 1–128 characters' });
export const OrderId = Type.String({ format: 'uuid', description: 'Order id (UUID)' });
/** Path parameters of `/orders/:id` and `/orders/:id/events`. */
export const OrderIdParams = Type.Object({ id: OrderId });

/**
 * Headers of `POST /orders`: an `Idempotency-Key` (optional) makes a retry return the same
 * order. The gateway validates it and the order service again, with this one schema.
 */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Retries with the same key return the same order' }),
  ),
});

export const OrderStatusSchema = Type.Union([Type.Literal('accepted'), Type.Literal('fulfilled')], { description: 'accepted → fulfilled' });

export const CreateOrderRequest = Type.Object(
  { sku: Sku, qty: Quantity, customerId: Type.Optional(CustomerId) },
  { $id: 'CreateOrderRequest', additionalProperties: false },
);
export type CreateOrderRequest = Static<typeof CreateOrderRequest>;

export const OrderResponse = Type.Object(
  {
    id: OrderId,
    sku: Sku,
    qty: Quantity,
    customerId: Type.Optional(CustomerId),
    status: OrderStatusSchema,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    version: Type.String({ description: 'SERVICE_VERSION of the order instance that created the order' }),
    estimatedDelivery: Type.Optional(Type.String({ format: 'date', description: 'Only from order v2: the canary shows in responses' })),
  },
  { $id: 'Order', additionalProperties: false },
);
export type OrderResponse = Static<typeof OrderResponse>;

/** RFC 9457 problem details; validation errors list the offending fields. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem' },
);
export type Problem = Static<typeof Problem>;

/**
 * Headers of `GET /orders/:id/events`: a reconnecting `EventSource` sends the id of the last
 * event it received, which is the status that event announced.
 */
export const OrderEventsHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.Unsafe<'accepted' | 'fulfilled'>({
      type: 'string',
      enum: ['accepted', 'fulfilled'],
      description: 'The id of the last event received (a status): only later changes are sent',
    }),
  ),
});

/** How `GET /orders/:id/events` appears in the OpenAPI document (the body is a stream, not JSON). */
export const OrderEventStreamResponse = {
  description:
    'text/event-stream. The first event is the order as it is now, then one event per status change; ' +
    'each event is named after the status (`event: accepted` / `event: fulfilled`), its `id` is that status and its ' +
    'data the order (JSON). The stream ends after `fulfilled`; `retry:` then close asks the client to reconnect ' +
    '(shutdown, idle bound), and `Last-Event-ID` resumes without repeats. Comment lines are heartbeats.',
  content: { 'text/event-stream': { schema: { type: 'string' } } },
} as const;
