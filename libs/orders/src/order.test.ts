import { Compile } from 'typebox/compile';
import { OrderResponse } from '@tandem/contracts';
import { fulfil, newOrder, orderIdFor, requestFingerprint } from './order';

const now = new Date('2026-11-27T10:00:00.000Z');

describe('order', () => {
  it('a new order is accepted, stamped with the creating version, and valid against the response schema', () => {
    const order = newOrder({ sku: 'ABC', qty: 2, customerId: 'c1' }, { id: orderIdFor('k1'), version: 'v1', now });
    expect(order).toEqual({
      id: orderIdFor('k1'),
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
    const order = newOrder({ sku: 'ABC', qty: 2 }, { id: orderIdFor(undefined), version: 'v2', now });
    expect(order.estimatedDelivery).toBe('2026-11-30');
    expect(Compile(OrderResponse).Check(order)).toBe(true);
  });

  it('fulfils once; fulfilling again changes nothing', () => {
    const order = newOrder({ sku: 'ABC', qty: 1 }, { id: orderIdFor('k'), version: 'v1', now });
    const later = new Date('2026-11-27T10:00:05.000Z');
    const fulfilled = fulfil(order, later);
    expect(fulfilled).toMatchObject({ status: 'fulfilled', updatedAt: later.toISOString(), createdAt: order.createdAt });
    expect(fulfil(fulfilled as NonNullable<typeof fulfilled>, later)).toBeUndefined();
  });

  it('the same idempotency key always names the same order; different keys or no key do not', () => {
    expect(orderIdFor('key-1')).toBe(orderIdFor('key-1'));
    expect(orderIdFor('key-1')).not.toBe(orderIdFor('key-2'));
    expect(orderIdFor(undefined)).not.toBe(orderIdFor(undefined));
    expect(orderIdFor('key-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('the request fingerprint ignores key order and notices any changed field', () => {
    expect(requestFingerprint({ sku: 'A', qty: 1, customerId: 'c' })).toBe(requestFingerprint({ customerId: 'c', qty: 1, sku: 'A' }));
    expect(requestFingerprint({ sku: 'A', qty: 1 })).not.toBe(requestFingerprint({ sku: 'A', qty: 2 }));
    expect(requestFingerprint({ sku: 'A', qty: 1 })).not.toBe(requestFingerprint({ sku: 'A', qty: 1, customerId: 'c' }));
  });
});
