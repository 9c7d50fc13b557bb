import { jetstream, jetstreamManager, JetStreamApiError, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { OrderAttempt } from './order-load';

/** Where the order system keeps what the audit reads (Tandem's names by default). */
export interface OrderStoreNames {
  /** Event stream with `orders.created.<id>` / `orders.fulfilled.<id>`. Default `ORDERS`. */
  readonly stream?: string;
  readonly dlqStream?: string;
  /** Subject prefixes: an order's events are `<prefix>.<id>`. */
  readonly createdPrefix?: string;
  readonly fulfilledPrefix?: string;
  /** Durable consumers that must be idle (nothing pending, nothing unacked) before the audit counts. */
  readonly consumers?: ReadonlyArray<{ readonly stream: string; readonly durable: string }>;
}

const DEFAULT_NAMES = {
  stream: 'ORDERS',
  dlqStream: 'ORDERS_DLQ',
  createdPrefix: 'orders.created',
  fulfilledPrefix: 'orders.fulfilled',
  consumers: [{ stream: 'ORDERS', durable: 'fulfilment' }],
};

/**
 * One event as stored in the stream. `orderId` is the body's (undefined when the body is not
 * an order event: poison); `subjectId` is the id in its subject (`orders.created.<id>`).
 */
export interface StoredEvent {
  readonly seq: number;
  readonly orderId?: string;
  readonly subjectId?: string;
  readonly msgId?: string;
}

export interface DeadLetter {
  readonly seq: number;
  readonly subject: string;
  readonly size: number;
  /** The `Tandem-*` headers the dead-letter middleware sets. */
  readonly originalSubject?: string;
  readonly originalSequence?: number;
  readonly consumer?: string;
  readonly deliveryCount?: number;
  readonly error?: string;
  /** `Tandem-Body-Omitted`: the original body's size when it was too large to copy into the dead letter. */
  readonly bodyOmitted?: number;
  readonly orderId?: string;
}

/** Everything the order system stored, read straight from JetStream. */
export interface OrderStoreSnapshot {
  readonly created: readonly StoredEvent[];
  readonly fulfilled: readonly StoredEvent[];
  /** Messages on other subjects of the event stream. */
  readonly otherEvents: number;
  readonly deadLetters: readonly DeadLetter[];
}

/** Figures and findings of one audit. `problems` is empty when nothing was lost or duplicated. */
export interface OrderAudit {
  /** Orders sent (distinct keys). */
  readonly sent: number;
  /** Statuses of the first request of each order. */
  readonly first: { readonly created: number; readonly unavailable: number; readonly other: number; readonly noStatus: number };
  /** Orders sent again with the same key after never getting a 201, and how many of those got one. */
  readonly retried: number;
  readonly retriedCreated: number;
  /** Distinct orders answered 201 (first request or retry). */
  readonly accepted: number;
  /** Accepted orders with exactly one `orders.fulfilled.<id>`. */
  readonly fulfilled: number;
  /** Orders with more than one `orders.created.<id>` or `orders.fulfilled.<id>`, or one key answered with two ids. */
  readonly duplicates: number;
  /** Accepted orders with no `orders.created.<id>`: the order is its event, so this is a lost order. */
  readonly lost: number;
  /** Accepted orders stored but never fulfilled. */
  readonly unfulfilled: number;
  /** Stored orders no 201 vouched for (a 503 whose event had been stored after all) — allowed, and audited like the rest. */
  readonly unconfirmedStored: number;
  /** Distinct dead-lettered messages (by original sequence). */
  readonly deadLettered: number;
  /** What is wrong, one line each; empty when the audit passes. */
  readonly problems: readonly string[];
}

export interface AuditOptions {
  /** The order id a key must give (Tandem: `orderIdFor` from @tandem/orders); enables the checks on unanswered keys. */
  readonly idForKey?: (key: string) => string;
  /** HTTP statuses other than 201 and 503 that are acceptable for a first request. Default none. */
  readonly allowedStatuses?: readonly number[];
}

function countBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/**
 * Compares what the load generator was told (its attempts) with what JetStream holds.
 * Pure: no I/O, so its rules are unit-tested on synthetic inputs. An order is its events
 * (docs/decisions/0012). The rules:
 * - every order answered 201 has one `orders.created.<id>` (else *lost*) and one
 *   `orders.fulfilled.<id>` (else *unfulfilled*);
 * - no order has two `orders.created` or two `orders.fulfilled`, and no key was answered
 *   with two order ids (else *duplicates*);
 * - every event's body names the order its subject names; every `orders.fulfilled` has an
 *   `orders.created`;
 * - every request got an HTTP status within its timeout, and it was 201 or 503;
 * - no accepted order was dead-lettered.
 */
export function auditOrders(attempts: readonly OrderAttempt[], store: OrderStoreSnapshot, options: AuditOptions = {}): OrderAudit {
  const problems: string[] = [];
  const limit = <T>(list: T[]) => (list.length > 5 ? `${list.slice(0, 5).join(', ')} … (${list.length})` : list.join(', '));
  const firsts = new Map<string, OrderAttempt>();
  for (const a of attempts) if (!a.retry && !firsts.has(a.key)) firsts.set(a.key, a);
  const allowed = new Set([201, 503, ...(options.allowedStatuses ?? [])]);
  const first = { created: 0, unavailable: 0, other: 0, noStatus: 0 };
  for (const a of firsts.values()) {
    if (a.status === 201) first.created += 1;
    else if (a.status === 503) first.unavailable += 1;
    else if (a.status === undefined) first.noStatus += 1;
    else first.other += 1;
  }
  const noStatus = attempts.filter((a) => a.status === undefined);
  if (noStatus.length > 0)
    problems.push(`${noStatus.length} request(s) got no HTTP status: ${limit(noStatus.map((a) => `${a.key} (${a.failure})`))}`);
  const unexpected = attempts.filter((a) => a.status !== undefined && !allowed.has(a.status));
  if (unexpected.length > 0)
    problems.push(
      `${unexpected.length} request(s) answered neither 201 nor 503: ${limit(unexpected.map((a) => `${a.key} → ${a.status}`))}`,
    );

  // What each key was answered with.
  const acceptedIds = new Map<string, Set<string>>();
  for (const a of attempts) {
    if (a.status !== 201) continue;
    const ids = acceptedIds.get(a.key) ?? new Set<string>();
    if (a.orderId === undefined) problems.push(`${a.key}: 201 without an order id`);
    else ids.add(a.orderId);
    acceptedIds.set(a.key, ids);
  }
  const retriedKeys = new Set(attempts.filter((a) => a.retry).map((a) => a.key));
  const retriedCreated = [...retriedKeys].filter((k) => attempts.some((a) => a.retry && a.key === k && a.status === 201)).length;

  let duplicates = 0;
  const accepted = new Set<string>();
  for (const [key, ids] of acceptedIds) {
    if (ids.size > 1) {
      duplicates += 1;
      problems.push(`${key}: one Idempotency-Key answered with ${ids.size} different orders (${[...ids].join(', ')})`);
    }
    const expected = options.idForKey?.(key);
    for (const id of ids) {
      if (expected !== undefined && id !== expected) problems.push(`${key}: answered order ${id}, expected ${expected}`);
      accepted.add(id);
    }
  }

  // A dead-lettered event (poison) is accounted for by the DLQ, not as an order.
  const deadSeqs = new Set(store.deadLetters.map((d) => d.originalSequence));
  const live = (events: readonly StoredEvent[]) => events.filter((e) => !deadSeqs.has(e.seq));
  const mismatched = [...live(store.created), ...live(store.fulfilled)].filter((e) => e.orderId !== undefined && e.orderId !== e.subjectId);
  if (mismatched.length > 0)
    problems.push(
      `${mismatched.length} event(s) whose body names another order than their subject: ${limit(mismatched.map((e) => `#${e.seq}`))}`,
    );
  const created = countBy(store.created, (e) => e.subjectId);
  const fulfilled = countBy(store.fulfilled, (e) => e.subjectId);

  const lost: string[] = [];
  const unfulfilled: string[] = [];
  let fulfilledCount = 0;
  for (const id of accepted) {
    if (!created.has(id)) {
      lost.push(`${id} (no orders.created)`);
      continue;
    }
    if (fulfilled.get(id) === 1) fulfilledCount += 1;
    else unfulfilled.push(`${id} (${fulfilled.get(id) ?? 0} orders.fulfilled)`);
  }
  if (lost.length > 0) problems.push(`${lost.length} order(s) answered 201 but not stored: ${limit(lost)}`);
  if (unfulfilled.length > 0) problems.push(`${unfulfilled.length} accepted order(s) not fulfilled exactly once: ${limit(unfulfilled)}`);

  for (const [label, counts] of [
    ['orders.created', created],
    ['orders.fulfilled', fulfilled],
  ] as const) {
    const twice = [...counts].filter(([, n]) => n > 1);
    duplicates += twice.length;
    if (twice.length > 0)
      problems.push(`${twice.length} order(s) with more than one ${label}: ${limit(twice.map(([id, n]) => `${id} ×${n}`))}`);
  }

  const fulfilledWithoutCreated = [...fulfilled.keys()].filter((id) => !created.has(id));
  if (fulfilledWithoutCreated.length > 0)
    problems.push(`${fulfilledWithoutCreated.length} orders.fulfilled without orders.created: ${limit(fulfilledWithoutCreated)}`);

  // Stored orders that no 201 vouched for must still be whole (fulfilled once), like the rest.
  const liveCreated = new Set(live(store.created).flatMap((e) => (e.subjectId === undefined ? [] : [e.subjectId])));
  const unconfirmed = [...liveCreated].filter((id) => !accepted.has(id));
  const unconfirmedBroken = unconfirmed.filter((id) => fulfilled.get(id) !== 1);
  if (unconfirmedBroken.length > 0)
    problems.push(`${unconfirmedBroken.length} stored order(s) without a 201 not fulfilled exactly once: ${limit(unconfirmedBroken)}`);
  if (options.idForKey) {
    const sentIds = new Set([...firsts.keys()].map((k) => options.idForKey?.(k)));
    const strangers = unconfirmed.filter((id) => !sentIds.has(id));
    if (strangers.length > 0) problems.push(`${strangers.length} stored order(s) nobody sent: ${limit(strangers)}`);
  }

  const deadOrders = store.deadLetters.filter((d) => d.orderId !== undefined && accepted.has(d.orderId));
  if (deadOrders.length > 0)
    problems.push(`${deadOrders.length} accepted order(s) dead-lettered: ${limit(deadOrders.map((d) => `${d.orderId}: ${d.error}`))}`);

  return {
    sent: firsts.size,
    first,
    retried: retriedKeys.size,
    retriedCreated,
    accepted: accepted.size,
    fulfilled: fulfilledCount,
    duplicates,
    lost: lost.length,
    unfulfilled: unfulfilled.length,
    unconfirmedStored: unconfirmed.length,
    deadLettered: new Set(store.deadLetters.map((d) => d.originalSequence ?? `dlq-${d.seq}`)).size,
    problems,
  };
}

/** The audit as one line: the figures a reader wants (sent, 201, 503, other, fulfilled, duplicates, lost …). */
export function formatAudit(label: string, audit: OrderAudit, extra: Readonly<Record<string, string | number>> = {}): string {
  const parts = [
    `sent ${audit.sent}`,
    `201 ${audit.first.created}`,
    `503 ${audit.first.unavailable}`,
    `other ${audit.first.other + audit.first.noStatus}`,
    `retried(same key) ${audit.retried}→201 ${audit.retriedCreated}`,
    `accepted ${audit.accepted}`,
    `fulfilled ${audit.fulfilled}`,
    `duplicates ${audit.duplicates}`,
    `lost ${audit.lost}`,
    `unfulfilled ${audit.unfulfilled}`,
    `stored-after-503 ${audit.unconfirmedStored}`,
    `dlq ${audit.deadLettered}`,
    ...Object.entries(extra).map(([k, v]) => `${k} ${v}`),
  ];
  return `[reliability] ${label}: ${parts.join(', ')}${audit.problems.length > 0 ? ` — ${audit.problems.length} problem(s)` : ''}`;
}

function header(m: JsMsg, name: string): string | undefined {
  const value = m.headers?.get(name);
  return value ? value : undefined;
}

function orderIdOf(m: JsMsg): string | undefined {
  try {
    const id = (JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(m.data)) as { orderId?: unknown }).orderId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Every message of `stream`, in order, read with an ordered consumer (nothing is acked or changed). */
export async function readStream(nc: NatsConnection, stream: string): Promise<JsMsg[]> {
  const jsm = await jetstreamManager(nc);
  let messages: number;
  try {
    messages = (await jsm.streams.info(stream)).state.messages;
  } catch (error) {
    if (error instanceof JetStreamApiError && /not found/i.test(error.message)) return [];
    throw error;
  }
  if (messages === 0) return [];
  const consumer = await jetstream(nc).consumers.get(stream);
  const out: JsMsg[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1_000, expires: 2_000 });
    let got = 0;
    let done = false;
    for await (const m of batch) {
      got += 1;
      out.push(m);
      if (m.info.pending === 0) done = true;
    }
    if (done || got === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

/** Reads the event stream and the DLQ in full. */
export async function readOrderStore(nc: NatsConnection, names: OrderStoreNames = {}): Promise<OrderStoreSnapshot> {
  const n = { ...DEFAULT_NAMES, ...names };
  const [events, dlq] = await Promise.all([readStream(nc, n.stream), readStream(nc, n.dlqStream)]);
  /** The id in `<prefix>.<id>`, or undefined when the subject is not one of the prefix's. */
  const idIn = (subject: string, prefix: string) =>
    subject.startsWith(`${prefix}.`) && !subject.slice(prefix.length + 1).includes('.') ? subject.slice(prefix.length + 1) : undefined;
  const event = (m: JsMsg, prefix: string): StoredEvent => {
    const orderId = orderIdOf(m);
    const subjectId = idIn(m.subject, prefix);
    const msgId = header(m, 'Nats-Msg-Id');
    return {
      seq: m.seq,
      ...(orderId === undefined ? {} : { orderId }),
      ...(subjectId === undefined ? {} : { subjectId }),
      ...(msgId === undefined ? {} : { msgId }),
    };
  };
  const deadLetters = dlq.map((m): DeadLetter => {
    const seq = header(m, 'Tandem-Original-Sequence');
    const count = header(m, 'Tandem-Delivery-Count');
    const omitted = header(m, 'Tandem-Body-Omitted');
    const optional = {
      originalSubject: header(m, 'Tandem-Original-Subject'),
      originalSequence: seq === undefined ? undefined : Number(seq),
      consumer: header(m, 'Tandem-Consumer'),
      deliveryCount: count === undefined ? undefined : Number(count),
      error: header(m, 'Tandem-Error'),
      bodyOmitted: omitted === undefined ? undefined : Number(omitted),
      orderId: orderIdOf(m),
    };
    return {
      seq: m.seq,
      subject: m.subject,
      size: m.data.length,
      ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
    };
  });
  const isCreated = (m: JsMsg) => idIn(m.subject, n.createdPrefix) !== undefined;
  const isFulfilled = (m: JsMsg) => idIn(m.subject, n.fulfilledPrefix) !== undefined;
  return {
    created: events.filter(isCreated).map((m) => event(m, n.createdPrefix)),
    fulfilled: events.filter(isFulfilled).map((m) => event(m, n.fulfilledPrefix)),
    otherEvents: events.filter((m) => !isCreated(m) && !isFulfilled(m)).length,
    deadLetters,
  };
}

/** True when each durable has nothing pending and nothing unacknowledged. */
export async function consumersIdle(
  nc: NatsConnection,
  consumers: OrderStoreNames['consumers'] = DEFAULT_NAMES.consumers,
): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  for (const c of consumers ?? []) {
    const info = await jsm.consumers.info(c.stream, c.durable);
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}

/**
 * Waits until the system has settled — the durable consumers idle and the audit clean —
 * and returns the audit; after `timeoutMs` returns the last audit as it stands (with its
 * problems) instead of throwing, so the test can print the figures and then fail.
 */
export async function settleAndAudit(
  nc: NatsConnection,
  attempts: readonly OrderAttempt[],
  options: AuditOptions & { readonly names?: OrderStoreNames; readonly timeoutMs?: number } = {},
): Promise<{ audit: OrderAudit; store: OrderStoreSnapshot }> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    // an error (e.g. a JetStream leader election in progress) counts as not idle: ask again
    const idle = await consumersIdle(nc, options.names?.consumers).catch(() => false);
    if (idle || Date.now() > deadline) {
      try {
        const store = await readOrderStore(nc, options.names);
        const audit = auditOrders(attempts, store, options);
        if (audit.problems.length === 0 || Date.now() > deadline) return { audit, store };
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
