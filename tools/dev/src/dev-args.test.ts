import { natsLineShown, parseDevArgs, terminalEnv } from './dev-args';

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

describe('npm start: what a terminal changes', () => {
  it('takes --jaeger and --verbose, both off by default', () => {
    const off = parseDevArgs([], {});
    expect(off.ok && [off.value.jaeger, off.value.verbose]).toEqual([false, false]);
    const on = parseDevArgs(['--jaeger', '--verbose'], {});
    expect(on.ok && [on.value.jaeger, on.value.verbose]).toEqual([true, true]);
  });

  it('gives the services readable coloured logs when npm start runs in a terminal, JSON otherwise', () => {
    expect(terminalEnv({}, true)).toEqual({ LOG_FORMAT: 'pretty', FORCE_COLOR: '1' });
    expect(terminalEnv({}, false)).toEqual({});
    expect(terminalEnv({ LOG_FORMAT: 'json' }, true)).toEqual({ FORCE_COLOR: '1' });
    expect(terminalEnv({ NO_COLOR: '1' }, true)).toEqual({ LOG_FORMAT: 'pretty' });
    expect(terminalEnv({ FORCE_COLOR: '0' }, true)).toEqual({ LOG_FORMAT: 'pretty' });
  });

  it("shows nats-server's warnings and errors, not its banner and info lines", () => {
    const lines = [
      '[4242] 2026/12/05 07:00:00.000000 [INF] Starting nats-server',
      '[4242] 2026/12/05 07:00:00.000001 [INF]   Version:  2.15.1',
      '[4242] 2026/12/05 07:00:00.000002 [WRN] Plaintext passwords detected',
      '[4242] 2026/12/05 07:00:00.000003 [ERR] Error listening on port: 4222',
      '[4242] 2026/12/05 07:00:00.000004 [FTL] Cannot start',
      '[4242] 2026/12/05 07:00:00.000005 [DBG] debug line',
    ];
    expect(lines.filter(natsLineShown).map((l) => /\[(\w+)\]/g.exec(l.slice(8))?.[1])).toEqual(['WRN', 'ERR', 'FTL']);
  });
});
