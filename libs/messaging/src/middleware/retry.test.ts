import { PermanentError } from '../errors';
import { delivery } from '../../test/delivery.fixture';
import { retry } from './retry';

const policy = { initialMs: 1000, secondMs: 2000, factor: 1.5, maxMs: 30_000, jitter: 0 };

describe('retry middleware', () => {
  it('turns a failure into a nak whose delay grows with the delivery count', async () => {
    const failing = retry(policy)(async () => {
      throw new Error('db down');
    });
    const delays = [];
    for (const deliveryCount of [1, 2, 3, 4]) {
      const outcome = await failing(delivery({ deliveryCount }));
      expect(outcome).toMatchObject({ action: 'nak', error: new Error('db down') });
      delays.push(outcome.action === 'nak' ? outcome.delayMs : -1);
    }
    expect(delays).toEqual([1000, 2000, 3000, 4500]);
  });

  it('passes success and permanent errors through untouched', async () => {
    await expect(retry(policy)(async () => ({ action: 'ack' }))(delivery())).resolves.toEqual({ action: 'ack' });
    const permanent = retry(policy)(async () => {
      throw new PermanentError('never');
    });
    await expect(permanent(delivery())).rejects.toBeInstanceOf(PermanentError);
  });
});
