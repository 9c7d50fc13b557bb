import { ConfigError } from '@tandem/runtime';
import { loadConsumerConfig } from './config';

describe('loadConsumerConfig', () => {
  it('runs as v1 by default and as v2 when told: the version picks the durable (docs/decisions/0018)', () => {
    expect(loadConsumerConfig({}).version).toBe('v1');
    expect(loadConsumerConfig({ SERVICE_VERSION: 'v2' }).version).toBe('v2');
  });

  it('refuses any other version, naming the variable and the two it may be', () => {
    let error: unknown;
    try {
      loadConsumerConfig({ SERVICE_VERSION: 'v3' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        variable: 'SERVICE_VERSION',
        expected: 'the fulfilment version, v1 or v2 (the canary splits orders.created between them)',
        received: 'v3',
      },
    ]);
  });
});
