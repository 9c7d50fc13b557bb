import { createOrder, fulfilOrder, IdempotencyConflictError, OrderNotFoundError } from './order-use-cases';
import type { Order } from './order';
import type { CreatedEventResult, OrderEvents, OrderRepository, StoredOrder } from './ports';

/**
 * In-memory implementations of the ports: the use cases' own logic is under test here;
 * the JetStream adapters are tested against a real nats-server in the order app.
 */
class MemoryOrders implements OrderRepository {
  readonly rows = new Map<string, StoredOrder>();
  async get(id: string) {
    return this.rows.get(id);
  }
  async create(order: Order, fingerprint: string) {
    if (this.rows.has(order.id)) return false;
    this.rows.set(order.id, { order, fingerprint, revision: 1 });
    return true;
  }
  async replace(order: Order, fingerprint: string, revision: number) {
    const row = this.rows.get(order.id);
    if (!row || row.revision !== revision) return false;
    this.rows.set(order.id, { order, fingerprint, revision: revision + 1 });
    return true;
  }
}

class MemoryEvents implements OrderEvents {
  readonly stored = new Map<string, { order: Order; fingerprint: string }>();
  failNext = false;
  async created(order: Order, fingerprint: string): Promise<CreatedEventResult> {
    if (this.failNext) throw new Error('event on orders.created was not stored');
    const existing = this.stored.get(order.id);
    if (existing) return { duplicate: true, ...existing };
    this.stored.set(order.id, { order, fingerprint });
    return { duplicate: false };
  }
}

const now = new Date('2026-11-27T10:00:00.000Z');
const request = { sku: 'ABC', qty: 2 };

describe('createOrder', () => {
  it('stores the event, then the order; a retry with the same key returns the same order and publishes nothing new', async () => {
    const deps = { orders: new MemoryOrders(), events: new MemoryEvents() };
    const first = await createOrder(deps, { request, idempotencyKey: 'k1', version: 'v1', now });
    expect(first.created).toBe(true);
    const retry = await createOrder(deps, { request, idempotencyKey: 'k1', version: 'v1', now: new Date(now.getTime() + 5_000) });
    expect(retry).toEqual({ order: first.order, created: false });
    expect(deps.events.stored.size).toBe(1);
    expect(deps.orders.rows.size).toBe(1);
  });

  it('answers a conflict for the same key with another body', async () => {
    const deps = { orders: new MemoryOrders(), events: new MemoryEvents() };
    await createOrder(deps, { request, idempotencyKey: 'k1', version: 'v1', now });
    await expect(createOrder(deps, { request: { sku: 'ABC', qty: 3 }, idempotencyKey: 'k1', version: 'v1', now })).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
  });

  it('when the event was stored but the order was not (crash in between), a retry completes the same order', async () => {
    const deps = { orders: new MemoryOrders(), events: new MemoryEvents() };
    await createOrder(deps, { request, idempotencyKey: 'k1', version: 'v1', now });
    deps.orders.rows.clear(); // the read model lost the write
    const retry = await createOrder(deps, { request, idempotencyKey: 'k1', version: 'v2', now: new Date(now.getTime() + 1_000) });
    expect(retry.created).toBe(false);
    expect(retry.order.version).toBe('v1'); // the stored event's order, not a new one
    expect(deps.orders.rows.get(retry.order.id)?.order).toEqual(retry.order);
  });

  it('stores nothing when the event is not stored', async () => {
    const deps = { orders: new MemoryOrders(), events: new MemoryEvents() };
    deps.events.failNext = true;
    await expect(createOrder(deps, { request, idempotencyKey: 'k1', version: 'v1', now })).rejects.toThrow('not stored');
    expect(deps.orders.rows.size).toBe(0);
  });
});

describe('fulfilOrder', () => {
  it('fulfils once, then reports already fulfilled; an unknown order is an error to retry', async () => {
    const deps = { orders: new MemoryOrders(), events: new MemoryEvents() };
    const { order } = await createOrder(deps, { request, version: 'v1', now });
    expect(await fulfilOrder(deps.orders, order.id, now)).toBe('fulfilled');
    expect(await fulfilOrder(deps.orders, order.id, now)).toBe('already-fulfilled');
    expect(deps.orders.rows.get(order.id)?.order.status).toBe('fulfilled');
    await expect(fulfilOrder(deps.orders, 'nope', now)).rejects.toBeInstanceOf(OrderNotFoundError);
  });
});
