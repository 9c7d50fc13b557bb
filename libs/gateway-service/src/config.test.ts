import { ConfigError } from '@tandem/runtime';
import { loadGatewayConfig } from './config';

describe('gateway config: TRUST_PROXY', () => {
  it('trusts no proxy by default', () => {
    expect(loadGatewayConfig({}).trustProxy).toEqual([]);
  });

  it('accepts IPs, CIDRs and proxy-addr names', () => {
    expect(loadGatewayConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8,192.0.2.1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.1',
    ]);
  });

  it.each(['1', 'istio', '10.0.0.0/33', '10.0.0.0/8/1', 'loopback,'])('refuses %j, naming the variable and the expected form', (value) => {
    let error: unknown;
    try {
      loadGatewayConfig({ TRUST_PROXY: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('TRUST_PROXY');
    expect((error as Error).message).toContain('comma-separated IP addresses, CIDRs');
  });
});

describe('gateway config: LOG_FORMAT (every service reads it the same way)', () => {
  it('is unset by default (the logger decides by who watches), json or pretty when set', () => {
    expect(loadGatewayConfig({}).logFormat).toBeUndefined();
    expect(loadGatewayConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadGatewayConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
  });

  it('refuses anything else, naming the variable and the two values', () => {
    expect(() => loadGatewayConfig({ LOG_FORMAT: 'yaml' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT: expected json .* or pretty .*got "yaml"/);
  });
});

describe('gateway config: HTTP_REQUEST_TIMEOUT_MS (every service reads it the same way)', () => {
  it('defaults to 10 s, or half the shutdown timeout when that is shorter', () => {
    expect(loadGatewayConfig({}).requestTimeoutMs).toBe(10_000);
    expect(loadGatewayConfig({ SHUTDOWN_TIMEOUT_MS: '6000' }).requestTimeoutMs).toBe(3_000);
    expect(loadGatewayConfig({ HTTP_REQUEST_TIMEOUT_MS: '2500' }).requestTimeoutMs).toBe(2_500);
    expect(loadGatewayConfig({ SHUTDOWN_TIMEOUT_MS: '25000', SHUTDOWN_DELAY_MS: '20000' }).requestTimeoutMs).toBe(2_500);
  });

  it('refuses a timeout a slow upload could hold a shutdown past, and one out of range, naming the variable', () => {
    expect(() => loadGatewayConfig({ HTTP_REQUEST_TIMEOUT_MS: '30000' })).toThrow(
      /HTTP_REQUEST_TIMEOUT_MS: expected fewer milliseconds than SHUTDOWN_TIMEOUT_MS − SHUTDOWN_DELAY_MS \(25000\)/,
    );
    expect(() => loadGatewayConfig({ HTTP_REQUEST_TIMEOUT_MS: '10000', SHUTDOWN_DELAY_MS: '20000' })).toThrow(/\(5000\)/);
    expect(() => loadGatewayConfig({ HTTP_REQUEST_TIMEOUT_MS: '10' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
  });
});
