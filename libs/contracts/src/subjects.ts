import type { FulfilmentVersion } from './canary';

/**
 * NATS subjects of the order events (SPEC §4): one subject per order and event,
 * `orders.created.<id>` and `orders.fulfilled.<id>`, so that the stream itself answers
 * "does this order exist / is it fulfilled" (the last message of a subject) and a create
 * can be made conditional on the subject being empty. These are the subject templates;
 * {@link orderSubject} names one order's subject. Request/reply subjects must stay outside
 * `orders.>`.
 */
export const Subjects = Object.freeze({
  orderCreated: 'orders.created.*',
  orderFulfilled: 'orders.fulfilled.*',
} as const);

export type EventSubject = (typeof Subjects)[keyof typeof Subjects];

/** The subject of one order's event: `orders.created.<id>` or `orders.fulfilled.<id>`. */
export function orderSubject(kind: 'created' | 'fulfilled', orderId: string): string {
  return `orders.${kind}.${orderId}`;
}

const DAY_MS = 86_400_000;

/**
 * JetStream streams and durable consumers (SPEC §4), as data in the shape the messaging
 * lib's `ensureTopology` takes. The administrative identity declares them (TandemTopology);
 * each service names the parts it uses and waits until they exist.
 */
export const Topology = Object.freeze({
  /**
   * The orders themselves: every order is its `orders.created.<id>` (and, once fulfilled, its
   * `orders.fulfilled.<id>`) message. Direct get lets any replica answer reads. Orders are kept
   * 30 days; the stream holds at most 256 MiB and, when full, refuses new orders (503) rather
   * than dropping stored ones (`discard: new`): the server holds memory per subject for as
   * long as the stream keeps it (how much: docs/decisions/0012), so the size is bounded by
   * the NATS pods' memory in deploy/. Orders older than 30 days are gone (GET answers 404).
   */
  ordersStream: {
    name: 'ORDERS',
    subjects: ['orders.>'],
    duplicateWindowMs: 120_000,
    allowDirect: true,
    maxAgeMs: 30 * DAY_MS,
    maxBytes: 256 * 1024 * 1024,
    discard: 'new',
    // Per-message TTL, for one message only: the fulfilment split (orders.canary.fulfilment) is
    // written with `Nats-TTL: never`, so that the split in force outlives the 30 days (ADR 0018).
    allowMsgTtl: true,
  },
  /**
   * Dead letters, bounded like the orders (64 MiB, `discard: new`) so a flood of poison cannot
   * take the store from them; when it is full a dead letter cannot be written and the message
   * stays in ORDERS for another delivery, or past its last one waits in ORDERS_MAX_DELIVERIES
   * (docs/operations.md: watch the stream's bytes).
   */
  deadLetterStream: {
    name: 'ORDERS_DLQ',
    subjects: ['dlq.orders.>'],
    duplicateWindowMs: 120_000,
    maxBytes: 64 * 1024 * 1024,
    discard: 'new',
  },
  /** Fulfilment v1's: every order's `orders.created`; it handles its share (docs/decisions/0018). */
  fulfilmentConsumer: {
    stream: 'ORDERS',
    durable: 'fulfilment',
    filterSubject: Subjects.orderCreated,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 1_000,
  },
  /** Fulfilment v2's (the canary): every order's `orders.created` too; it handles its share and acks the rest unhandled. */
  fulfilmentConsumerV2: {
    stream: 'ORDERS',
    durable: 'fulfilment-v2',
    filterSubject: Subjects.orderCreated,
    ackWaitMs: 30_000,
    maxDeliver: 5,
    maxAckPending: 1_000,
  },
  /**
   * The server's word that a message of ORDERS reached `max_deliver` unsettled on a
   * fulfilment consumer (`fulfilment`, `fulfilment-v2`) (a nak or an expired ack_wait on its last delivery, a process killed
   * while holding it). The server publishes these advisories once, to whoever listens then: the
   * stream keeps each until the `dead-letters` consumer has written its message to ORDERS_DLQ
   * (work-queue retention: acknowledged advisories go, so the room is for unhandled ones;
   * docs/decisions/0015). 64 MiB holds about 200,000 of them.
   */
  maxDeliveriesStream: {
    name: 'ORDERS_MAX_DELIVERIES',
    subjects: [
      '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfilment',
      '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfilment-v2',
    ],
    retention: 'workqueue',
    maxBytes: 64 * 1024 * 1024,
    discard: 'new',
  },
  /** Dead-letters what the advisories name; never gives up (max_deliver unlimited), backing off while the DLQ refuses. */
  deadLettersConsumer: {
    stream: 'ORDERS_MAX_DELIVERIES',
    durable: 'dead-letters',
    // both fulfilment versions' advisories (the stream holds nothing else)
    filterSubject: '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.*',
    ackWaitMs: 30_000,
    maxDeliver: -1,
    maxAckPending: 100,
  },
} as const);

/**
 * Everything Tandem needs on the server, as the administrative identity declares it
 * (`npm run nats:topology`, the cluster's topology Job): the services may only use it.
 */
export const TandemTopology = Object.freeze({
  streams: [Topology.ordersStream, Topology.deadLetterStream, Topology.maxDeliveriesStream],
  consumers: [Topology.fulfilmentConsumer, Topology.fulfilmentConsumerV2, Topology.deadLettersConsumer],
} as const);

/** The dead-letter subject for a message first published on `subject` (`orders.created.<id>` → `dlq.orders.created.<id>`). */
export function deadLetterSubject(subject: string): string {
  return `dlq.${subject}`;
}

/**
 * Request headers the mesh routes on between services (deploy/istio: the order
 * VirtualService sends `x-canary: always` to v2). A caller in the mesh forwards these from the
 * request it serves, or the route never matches on its hop: the gateway forwards exactly these
 * (apps/gateway), and deploy:check's rule `forwarded-headers` fails a VirtualService that
 * matches a header its callers do not forward.
 */
export const MeshRoutingHeaders = Object.freeze(['x-canary'] as const);

/** The durable consumer of one fulfilment version (docs/decisions/0018). */
export function fulfilmentConsumerOf(version: FulfilmentVersion): (typeof Topology)['fulfilmentConsumer' | 'fulfilmentConsumerV2'] {
  return version === 'v1' ? Topology.fulfilmentConsumer : Topology.fulfilmentConsumerV2;
}
