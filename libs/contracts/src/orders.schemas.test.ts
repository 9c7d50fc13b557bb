import { Compile } from 'typebox/compile';
import { OrderCreatedV1, OrderEvents, OrderFulfilledV1, eventMessageId } from './orders.events';
import { CreateOrderRequest, OrderResponse } from './orders.schemas';

describe('order contracts', () => {
  const request = Compile(CreateOrderRequest);

  it('accepts the request SPEC §3 describes and rejects each broken field', () => {
    expect(request.Check({ sku: 'ABC-1_x', qty: 1 })).toBe(true);
    expect(request.Check({ sku: 'a'.repeat(64), qty: 1000, customerId: 'c-1' })).toBe(true);
    for (const bad of [
      { sku: '', qty: 1 },
      { sku: 'a'.repeat(65), qty: 1 },
      { sku: 'has space', qty: 1 },
      { sku: 'ok', qty: 0 },
      { sku: 'ok', qty: 1001 },
      { sku: 'ok', qty: 1.5 },
      { sku: 'ok', qty: '1' },
      { sku: 'ok', qty: 1, customerId: '' },
      { sku: 'ok', qty: 1, extra: true },
      { qty: 1 },
    ]) {
      expect(request.Check(bad)).toBe(false);
    }
  });

  it('names the offending field in validation errors', () => {
    const paths = request.Errors({ sku: 'bad sku', qty: 0 }).map((e) => e.instancePath);
    expect(paths).toEqual(expect.arrayContaining(['/sku', '/qty']));
  });

  it('events carry their version and validate on both sides', () => {
    const created = Compile(OrderCreatedV1);
    const base = {
      orderId: '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d',
      sku: 'A',
      qty: 2,
      createdAt: '2026-11-27T10:00:00.000Z',
      serviceVersion: 'v1',
    };
    expect(created.Check({ eventVersion: 1, ...base })).toBe(true);
    expect(created.Check({ eventVersion: 2, ...base })).toBe(false);
    expect(Compile(OrderFulfilledV1).Check({ eventVersion: 1, orderId: base.orderId, fulfilledAt: base.createdAt })).toBe(true);
    expect(OrderEvents.created.subject).toBe('orders.created.*');
    expect(OrderEvents.fulfilled.subject).toBe('orders.fulfilled.*');
    expect(eventMessageId('created', 'x')).not.toBe(eventMessageId('fulfilled', 'x'));
  });

  it('the order response schema describes v1 and v2 orders', () => {
    const order = Compile(OrderResponse);
    const v1 = {
      id: '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d',
      sku: 'A',
      qty: 1,
      status: 'accepted',
      createdAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:00:00.000Z',
      version: 'v1',
    };
    expect(order.Check(v1)).toBe(true);
    expect(order.Check({ ...v1, version: 'v2', estimatedDelivery: '2026-11-30' })).toBe(true);
    expect(order.Check({ ...v1, status: 'shipped' })).toBe(false);
  });
});
