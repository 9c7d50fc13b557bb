import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { ClosedConnectionError, TimeoutError } from '@nats-io/transport-node';
import { RuntimeError } from '@tandem/runtime';
import { KvOrderRepository } from './kv-order-repository';
import { unavailableAs503 } from './nats-unavailable';

describe('NATS unavailability during an order request', () => {
  it('turns unavailability into TANDEM_ERR_NATS_UNAVAILABLE (503) and lets other errors through unchanged', async () => {
    const rejected = unavailableAs503('a read', () => Promise.reject(new TimeoutError()));
    await expect(rejected).rejects.toBeInstanceOf(RuntimeError);
    await expect(rejected).rejects.toMatchObject({
      code: 'TANDEM_ERR_NATS_UNAVAILABLE',
      message: 'NATS unavailable during a read: timeout',
    });
    const other = new SyntaxError('bad JSON');
    await expect(unavailableAs503('a read', () => Promise.reject(other))).rejects.toBe(other);
    await expect(unavailableAs503('a read', async () => 42)).resolves.toBe(42);
  });

  it('the KV repository answers a read or write cut by a broker crash with TANDEM_ERR_NATS_UNAVAILABLE, not a 500', async () => {
    const bucket = {
      get: () => Promise.reject(new TimeoutError()),
      create: () => Promise.reject(new ClosedConnectionError()),
      update: () => Promise.reject(new JetStreamApiError({ code: 400, err_code: 10071, description: 'wrong last sequence: 7' })),
    } as unknown as KV;
    const orders = new KvOrderRepository(async () => bucket);
    await expect(orders.get('id')).rejects.toMatchObject({ code: 'TANDEM_ERR_NATS_UNAVAILABLE' });
    const order = { id: 'id', sku: 'A', qty: 1, status: 'accepted', createdAt: '', updatedAt: '', version: 'v1' } as const;
    await expect(orders.create(order, 'fp')).rejects.toMatchObject({ code: 'TANDEM_ERR_NATS_UNAVAILABLE' });
    // a lost compare-and-set race is still an answer, not unavailability
    await expect(orders.replace(order, 'fp', 3)).resolves.toBe(false);
  });
});
