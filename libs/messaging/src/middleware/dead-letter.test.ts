import { PermanentError, SchemaViolationError } from '../errors';
import { deadLetter } from './dead-letter';
import { delivery } from '../../test/delivery.fixture';

describe('dead-letter middleware', () => {
  const nak = async () => ({ action: 'nak' as const, delayMs: 1000, error: new Error('flaky') });

  it('keeps retrying before the last allowed delivery and dead-letters on it', async () => {
    await expect(deadLetter(3)(nak)(delivery({ deliveryCount: 2 }))).resolves.toMatchObject({ action: 'nak' });
    await expect(deadLetter(3)(nak)(delivery({ deliveryCount: 3 }))).resolves.toEqual({
      action: 'dead-letter',
      reason: 'exhausted 3 deliveries: flaky',
    });
  });

  it('never counts a delivery as the last when the consumer has no limit (-1), and reads the limit at each delivery', async () => {
    await expect(deadLetter(-1)(nak)(delivery({ deliveryCount: 1_000 }))).resolves.toMatchObject({ action: 'nak' });
    let limit = 10;
    const live = deadLetter(() => limit)(nak);
    await expect(live(delivery({ deliveryCount: 2 }))).resolves.toMatchObject({ action: 'nak' });
    limit = 2;
    await expect(live(delivery({ deliveryCount: 2 }))).resolves.toMatchObject({ action: 'dead-letter' });
  });

  it('dead-letters permanent errors and schema violations at once, naming why', async () => {
    const permanent = deadLetter(5)(async () => {
      throw new PermanentError('unknown sku');
    });
    await expect(permanent(delivery())).resolves.toEqual({ action: 'dead-letter', reason: 'permanent: unknown sku' });
    const invalid = deadLetter(5)(async () => {
      throw new SchemaViolationError(['/qty: must be integer']);
    });
    await expect(invalid(delivery())).resolves.toEqual({ action: 'dead-letter', reason: 'schema violation: /qty: must be integer' });
  });

  it('lets other errors through for the runner to handle', async () => {
    const broken = deadLetter(5)(async () => {
      throw new TypeError('bug');
    });
    await expect(broken(delivery())).rejects.toThrow('bug');
  });
});
