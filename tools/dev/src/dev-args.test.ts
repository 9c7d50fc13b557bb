import { parseDevArgs } from './dev-args';

describe('npm start arguments', () => {
  it('defaults to the SPEC ports and info logging', () => {
    const r = parseDevArgs([], {});
    expect(r).toEqual({
      ok: true,
      value: expect.objectContaining({ logLevel: 'info', natsPort: 4222, ports: { gateway: 3000, order: 3001, consumer: 3002 } }),
    });
  });
  it('rejects an unknown log level naming the option and the allowed values', () => {
    const r = parseDevArgs(['--log-level', 'loud'], {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/--log-level expects one of fatal, error.*got "loud"/);
  });
  it('selects the one-process topology with --one-process', () => {
    expect(parseDevArgs([], {}).ok && (parseDevArgs([], {}) as { value: { oneProcess: boolean } }).value.oneProcess).toBe(false);
    const r = parseDevArgs(['--one-process', '--log-level', 'debug'], {});
    expect(r.ok && r.value.oneProcess && r.value.logLevel).toBe('debug');
  });
  it('rejects unknown arguments by name', () => {
    const r = parseDevArgs(['--frobnicate'], {});
    expect(!r.ok && r.error).toBe('unknown argument "--frobnicate"');
  });
  it('takes ports from the environment and rejects a bad one by name', () => {
    const r = parseDevArgs([], { GATEWAY_PORT: '4000', NATS_PORT: '5222' });
    expect(r.ok && r.value.ports.gateway).toBe(4000);
    expect(r.ok && r.value.natsPort).toBe(5222);
    const bad = parseDevArgs([], { ORDER_PORT: 'x1' });
    expect(!bad.ok && bad.error).toBe('ORDER_PORT expects an integer port 1..65535, got "x1"');
    const clash = parseDevArgs([], { ORDER_PORT: '3000' });
    expect(clash.ok).toBe(false);
  });
  it('takes the nats-server binary from NATS_SERVER_BIN', () => {
    const r = parseDevArgs([], { NATS_SERVER_BIN: '/opt/nats/nats-server' });
    expect(r.ok && r.value.natsServer).toBe('/opt/nats/nats-server');
  });
});
