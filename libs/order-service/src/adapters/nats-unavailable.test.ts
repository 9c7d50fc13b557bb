import { TimeoutError } from '@nats-io/transport-node';
import { RuntimeError } from '@tandem/runtime';
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
});
