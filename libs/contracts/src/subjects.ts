/** NATS subjects of the order events (SPEC §4). Request/reply subjects must stay outside `orders.>`. */
export const Subjects = Object.freeze({
  orderCreated: 'orders.created',
  orderFulfilled: 'orders.fulfilled',
} as const);

export type EventSubject = (typeof Subjects)[keyof typeof Subjects];

/**
 * JetStream streams, durable consumers and buckets (SPEC §4), as data in the shape the
 * messaging lib's `ensureTopology` takes. Services declare what they own from these.
 */
export const Topology = Object.freeze({
  ordersStream: { name: 'ORDERS', subjects: ['orders.>'], duplicateWindowMs: 120_000 },
  deadLetterStream: { name: 'ORDERS_DLQ', subjects: ['dlq.orders.>'], duplicateWindowMs: 120_000 },
  fulfilmentConsumer: {
    stream: 'ORDERS',
    durable: 'fulfilment',
    filterSubject: Subjects.orderCreated,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 1_000,
  },
  orderStatusConsumer: {
    stream: 'ORDERS',
    durable: 'order-status',
    filterSubject: Subjects.orderFulfilled,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 1_000,
  },
  /** Writes missing read-model entries from orders.created (docs/decisions/0007). */
  orderProjectionConsumer: {
    stream: 'ORDERS',
    durable: 'order-projection',
    filterSubject: Subjects.orderCreated,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 1_000,
  },
  ordersBucket: { name: 'orders', history: 5 },
} as const);

/** The dead-letter subject for a message first published on `subject` (`orders.created` → `dlq.orders.created`). */
export function deadLetterSubject(subject: string): string {
  return `dlq.${subject}`;
}
