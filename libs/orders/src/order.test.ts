import { createHash } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { OrderResponse } from '@tandem/contracts';
import { createdEvent, fulfil, newOrder, orderFromEvents, orderIdFor, requestFingerprint } from './order';

const SECRET = 'test-secret-test-secret-test-secret!';

const now = new Date('2026-11-27T10:00:00.000Z');

describe('order', () => {
  it('a new order is accepted, stamped with the creating version, and valid against the response schema', () => {
    const order = newOrder({ sku: 'ABC', qty: 2, customerId: 'c1' }, { id: orderIdFor('k1', SECRET), version: 'v1', now });
    expect(order).toEqual({
      id: orderIdFor('k1', SECRET),
      sku: 'ABC',
      qty: 2,
      customerId: 'c1',
      status: 'accepted',
      createdAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:00:00.000Z',
      version: 'v1',
    });
    expect(Compile(OrderResponse).Check(order)).toBe(true);
  });

  it('v2 adds the estimated delivery date, which makes the canary visible', () => {
    const order = newOrder({ sku: 'ABC', qty: 2 }, { id: orderIdFor(undefined, SECRET), version: 'v2', now });
    expect(order.estimatedDelivery).toBe('2026-11-30');
    expect(Compile(OrderResponse).Check(order)).toBe(true);
  });

  it('fulfils once; fulfilling again changes nothing', () => {
    const order = newOrder({ sku: 'ABC', qty: 1 }, { id: orderIdFor('k', SECRET), version: 'v1', now });
    const later = new Date('2026-11-27T10:00:05.000Z');
    const fulfilled = fulfil(order, later);
    expect(fulfilled).toMatchObject({ status: 'fulfilled', updatedAt: later.toISOString(), createdAt: order.createdAt });
    expect(fulfil(fulfilled as NonNullable<typeof fulfilled>, later)).toBeUndefined();
  });

  it('the same idempotency key always names the same order under one secret; different keys, secrets or no key do not', () => {
    expect(orderIdFor('key-1', SECRET)).toBe(orderIdFor('key-1', SECRET));
    expect(orderIdFor('key-1', SECRET)).not.toBe(orderIdFor('key-2', SECRET));
    expect(orderIdFor(undefined, SECRET)).not.toBe(orderIdFor(undefined, SECRET));
    expect(orderIdFor('key-1', SECRET)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('an order id cannot be computed from the key alone: it depends on the server-side secret', () => {
    expect(orderIdFor('key-1', SECRET)).not.toBe(orderIdFor('key-1', `${SECRET}x`));
    // the unkeyed derivation the ids used to have (SHA-256 of the key) gives another id
    const unkeyed = createHash('sha256').update('tandem-order:key-1', 'utf8').digest('hex').slice(0, 8);
    expect(orderIdFor('key-1', SECRET).slice(0, 8)).not.toBe(unkeyed);
  });

  it('an order is what its events say: created, then fulfilled at the fulfilment time', () => {
    const order = newOrder({ sku: 'ABC', qty: 2, customerId: 'c1' }, { id: orderIdFor('k9', SECRET), version: 'v2', now });
    const created = createdEvent(order);
    expect(orderFromEvents(created)).toEqual(order);
    const at = '2026-11-27T10:00:07.000Z';
    expect(orderFromEvents(created, { eventVersion: 1, orderId: order.id, fulfilledAt: at })).toEqual({
      ...order,
      status: 'fulfilled',
      updatedAt: at,
    });
  });

  it('the request fingerprint ignores key order and notices any changed field', () => {
    expect(requestFingerprint({ sku: 'A', qty: 1, customerId: 'c' })).toBe(requestFingerprint({ customerId: 'c', qty: 1, sku: 'A' }));
    expect(requestFingerprint({ sku: 'A', qty: 1 })).not.toBe(requestFingerprint({ sku: 'A', qty: 2 }));
    expect(requestFingerprint({ sku: 'A', qty: 1 })).not.toBe(requestFingerprint({ sku: 'A', qty: 1, customerId: 'c' }));
  });
});
