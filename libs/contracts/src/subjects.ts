/** NATS subjects of the order events (SPEC §4). Request/reply subjects must stay outside `orders.>`. */
export const Subjects = Object.freeze({
  orderCreated: 'orders.created',
  orderFulfilled: 'orders.fulfilled',
} as const);

export type EventSubject = (typeof Subjects)[keyof typeof Subjects];

/** JetStream streams, durable consumers and buckets named by SPEC §4. */
export const Topology = Object.freeze({
  ordersStream: { name: 'ORDERS', subjects: ['orders.>'] },
  deadLetterStream: { name: 'ORDERS_DLQ', subjects: ['dlq.orders.>'] },
  fulfilmentConsumer: { durable: 'fulfilment', filterSubject: Subjects.orderCreated },
  orderStatusConsumer: { durable: 'order-status', filterSubject: Subjects.orderFulfilled },
  ordersBucket: { name: 'orders' },
} as const);

/** The dead-letter subject for a message first published on `subject` (`orders.created` → `dlq.orders.created`). */
export function deadLetterSubject(subject: string): string {
  return `dlq.${subject}`;
}
