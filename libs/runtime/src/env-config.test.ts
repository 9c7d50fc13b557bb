import Type from 'typebox';
import { Env, parseEnv } from './env-config';
import { ConfigError } from './errors';
import { serviceEnvProperties, toServiceConfig } from './service-config';

const Schema = Type.Object({
  ...serviceEnvProperties(3000),
  ORDER_URL: Env.httpUrl('http://127.0.0.1:3001'),
  TOKEN: Env.optionalString('a token', { secret: true }),
});

function issuesOf(env: Record<string, string>) {
  try {
    parseEnv(Schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('fills defaults, converts numbers and freezes the result', () => {
    const config = parseEnv(Schema, { PORT: '8080', SHUTDOWN_DELAY_MS: '' });
    expect(config).toEqual({
      PORT: 8080,
      HOST: '0.0.0.0',
      SERVICE_VERSION: 'v1',
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: 0,
      SHUTDOWN_TIMEOUT_MS: 25_000,
      ORDER_URL: 'http://127.0.0.1:3001',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every bad variable with the expected form and the received value', () => {
    const issues = issuesOf({ PORT: 'abc', ORDER_URL: 'ftp://x', LOG_LEVEL: 'loud', SHUTDOWN_TIMEOUT_MS: '1.5' });
    expect(issues).toEqual(
      expect.arrayContaining([
        { variable: 'PORT', expected: 'an integer port 1..65535', received: 'abc' },
        { variable: 'ORDER_URL', expected: expect.stringContaining('http://'), received: 'ftp://x' },
        { variable: 'LOG_LEVEL', expected: expect.stringContaining('one of fatal'), received: 'loud' },
        { variable: 'SHUTDOWN_TIMEOUT_MS', expected: expect.stringContaining('whole number of milliseconds'), received: '1.5' },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('rejects out-of-range ports', () => {
    expect(issuesOf({ PORT: '70000' })).toEqual([{ variable: 'PORT', expected: 'an integer port 1..65535', received: '70000' }]);
  });

  it('never echoes a secret', () => {
    const error = (() => {
      try {
        parseEnv(Schema, { TOKEN: 'x', PORT: '0' });
        return undefined;
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error?.message).toContain('PORT: expected an integer port 1..65535, got "0"');
    const schemaWithBadSecret = Type.Object({ SECRET: Type.String({ minLength: 5, description: 'five chars', secret: true }) });
    expect(() => parseEnv(schemaWithBadSecret, { SECRET: 'abc' })).toThrow('SECRET: expected five chars, got "<redacted>"');
  });

  it('requires the shutdown delay to fit inside the shutdown timeout', () => {
    const env = parseEnv(Schema, { SHUTDOWN_DELAY_MS: '30000', SHUTDOWN_TIMEOUT_MS: '25000' });
    expect(() => toServiceConfig(env)).toThrow(/SHUTDOWN_DELAY_MS: expected fewer milliseconds than SHUTDOWN_TIMEOUT_MS \(25000\)/);
  });
});
