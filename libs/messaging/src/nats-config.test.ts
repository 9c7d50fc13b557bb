import { ConfigError, parseEnv } from '@tandem/runtime';
import { NatsEnvSchema, toNatsSettings } from './nats-config';
import { redactServerUrl } from './nats-connection.component';

const settings = (env: Record<string, string>) => toNatsSettings(parseEnv(NatsEnvSchema, env));

describe('NATS settings', () => {
  it('uses nats.js reply inboxes (_INBOX) unless NATS_INBOX_PREFIX names the one the NATS user may subscribe to', () => {
    expect(settings({}).inboxPrefix).toBe('_INBOX');
    expect(settings({ NATS_USER: 'order', NATS_PASS: 'p1', NATS_INBOX_PREFIX: '_INBOX.order' })).toMatchObject({
      user: 'order',
      pass: 'p1',
      inboxPrefix: '_INBOX.order',
    });
  });

  it('refuses an inbox prefix with wildcards, spaces or empty tokens, naming the variable', () => {
    for (const bad of ['_INBOX.>', '_INBOX.*', '_INBOX order', '_INBOX..order', '_INBOX.']) {
      expect(() => settings({ NATS_INBOX_PREFIX: bad })).toThrow(ConfigError);
      expect(() => settings({ NATS_INBOX_PREFIX: bad })).toThrow(/NATS_INBOX_PREFIX/);
    }
  });

  it('reads NATS_URL as one or more nats:// (or tls://) URLs, and names it when it is not', () => {
    expect(settings({ NATS_URL: 'nats://a:4222, tls://b:4222' }).servers).toEqual(['nats://a:4222', 'tls://b:4222']);
    expect(() => settings({ NATS_URL: 'http://x' })).toThrow(/NATS_URL: expected a comma-separated list of nats:\/\//);
  });

  it('never echoes NATS_PASS in a configuration error', () => {
    expect(() => settings({ NATS_PASS: 'hunter2-secret' })).toThrow(/NATS_USER/);
    try {
      settings({ NATS_PASS: 'hunter2-secret' });
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2-secret');
    }
  });
});

describe('redactServerUrl', () => {
  it('hides a password or token written into a server URL, and leaves other URLs alone', () => {
    expect(redactServerUrl('nats://order:s3cret@nats.tandem.svc:4222')).toBe('nats://order:[redacted]@nats.tandem.svc:4222');
    expect(redactServerUrl('nats://tok3n@127.0.0.1:4222')).toBe('nats://[redacted]@127.0.0.1:4222');
    expect(redactServerUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });
});
