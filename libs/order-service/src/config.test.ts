import { ConfigError } from '@tandem/runtime';
import { DEVELOPMENT_ORDER_ID_SECRET, loadOrderConfig } from './config';

const STRONG = '3f9a1c0b7e5d24680acebd13579fdb2468ace0f1';

function issues(env: Record<string, string>): string[] {
  try {
    loadOrderConfig(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((i) => `${i.variable}: ${i.expected}${i.received === undefined ? '' : ` (${i.received})`}`);
  }
}

describe('order configuration: ORDER_ID_SECRET', () => {
  it('is required in production (NODE_ENV=production, as in the image), naming the variable and the form', () => {
    const found = issues({ NODE_ENV: 'production' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^ORDER_ID_SECRET: set in production \(NODE_ENV=production\): at least 32 characters/);
  });

  it('refuses a short or low-variety secret anywhere, without echoing it', () => {
    for (const weak of ['short-secret', 'a'.repeat(40), 'abababababababababababababababababab']) {
      const found = issues({ ORDER_ID_SECRET: weak });
      expect(found).toEqual([
        expect.stringMatching(/^ORDER_ID_SECRET: at least 32 characters with at least 10 different ones.*\(<redacted>\)$/),
      ]);
      expect(found[0]).not.toContain(weak);
    }
  });

  it('takes a strong secret, in production or not', () => {
    expect(loadOrderConfig({ NODE_ENV: 'production', ORDER_ID_SECRET: STRONG })).toMatchObject({
      orderIdSecret: STRONG,
      orderIdSecretConfigured: true,
    });
  });

  it('outside production falls back to the public development secret, marked as such (the service warns at start)', () => {
    expect(loadOrderConfig({})).toMatchObject({ orderIdSecret: DEVELOPMENT_ORDER_ID_SECRET, orderIdSecretConfigured: false });
  });
});
