import { createOrder, IdempotencyConflictError } from './order-use-cases';
import { orderIdFor, type Order } from './order';
import type { CreateResult, OrderLog, StoredOrder } from './ports';

/**
 * An in-memory order log with the JetStream log's one rule — a create stores only on an
 * empty subject — so the use case's own logic is under test here; the JetStream adapter is
 * tested against a real nats-server in the order app.
 */
class MemoryLog implements OrderLog {
  readonly stored = new Map<string, StoredOrder>();
  writes = 0;
  failNext = false;
  async create(order: Order, fingerprint: string): Promise<CreateResult> {
    if (this.failNext) throw new Error('event on orders.created.* was not stored');
    const existing = this.stored.get(order.id);
    if (existing) return { stored: false, existing };
    this.writes += 1;
    this.stored.set(order.id, { order, fingerprint });
    return { stored: true };
  }
  async get(id: string) {
    return this.stored.get(id)?.order;
  }
  latest(id: string) {
    return this.get(id);
  }
}

const SECRET = 'test-secret-test-secret-test-secret!';
const now = new Date('2026-11-27T10:00:00.000Z');
const request = { sku: 'ABC', qty: 2 };
const deps = () => ({ log: new MemoryLog(), orderIds: (key: string | undefined) => orderIdFor(key, SECRET) });

describe('createOrder', () => {
  it('stores the order with one write; a retry with the same key and body returns the stored order and writes nothing', async () => {
    const d = deps();
    const first = await createOrder(d, { request, idempotencyKey: 'k1', version: 'v1', now });
    expect(first.created).toBe(true);
    expect(first.order.id).toBe(orderIdFor('k1', SECRET));
    // on another instance (v2), later: the stored order, not a new one
    const retry = await createOrder(d, { request, idempotencyKey: 'k1', version: 'v2', now: new Date(now.getTime() + 5_000) });
    expect(retry).toEqual({ order: first.order, created: false });
    expect(d.log.writes).toBe(1);
  });

  it('answers a conflict for the same key with another body, and stores nothing', async () => {
    const d = deps();
    await createOrder(d, { request, idempotencyKey: 'k1', version: 'v1', now });
    await expect(createOrder(d, { request: { sku: 'ABC', qty: 3 }, idempotencyKey: 'k1', version: 'v1', now })).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    expect(d.log.writes).toBe(1);
  });

  it('without a key every request is a new order', async () => {
    const d = deps();
    const a = await createOrder(d, { request, version: 'v1', now });
    const b = await createOrder(d, { request, version: 'v1', now });
    expect(a.order.id).not.toBe(b.order.id);
    expect(d.log.writes).toBe(2);
  });

  it('reports nothing created when the log could not store it', async () => {
    const d = deps();
    d.log.failNext = true;
    await expect(createOrder(d, { request, idempotencyKey: 'k1', version: 'v1', now })).rejects.toThrow('not stored');
    expect(d.log.stored.size).toBe(0);
  });
});
