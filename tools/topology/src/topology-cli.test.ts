import { ConfigError } from '@tandem/runtime';
import { loadTopologySettings, parseTopologyArgs } from './topology-cli';

describe('nats:topology arguments and environment', () => {
  it('declares by default, checks with --check, waits 60 s unless told', () => {
    expect(parseTopologyArgs([])).toEqual({ ok: true, value: { check: false, waitMs: 60_000, help: false } });
    expect(parseTopologyArgs(['--check', '--wait', '5'])).toEqual({ ok: true, value: { check: true, waitMs: 5_000, help: false } });
    expect(parseTopologyArgs(['--wait=0'])).toMatchObject({ ok: true, value: { waitMs: 0 } });
  });

  it('refuses an unknown argument and a bad --wait, naming it', () => {
    expect(parseTopologyArgs(['--force'])).toEqual({ ok: false, error: 'unknown argument "--force"' });
    expect(parseTopologyArgs(['--wait'])).toEqual({ ok: false, error: '--wait: expected whole seconds from 0 to 3600, got nothing' });
    expect(parseTopologyArgs(['--wait', '1.5'])).toEqual({ ok: false, error: '--wait: expected whole seconds from 0 to 3600, got "1.5"' });
    expect(parseTopologyArgs(['--wait', '99999'])).toMatchObject({ ok: false });
  });

  it('reads NATS_URL, the credentials and JETSTREAM_REPLICAS, naming each bad variable', () => {
    expect(
      loadTopologySettings({
        NATS_URL: 'nats://n:4222',
        NATS_USER: 'admin',
        NATS_PASS: 'x',
        NATS_INBOX_PREFIX: '_INBOX.admin',
        JETSTREAM_REPLICAS: '3',
      }),
    ).toEqual({ servers: ['nats://n:4222'], user: 'admin', pass: 'x', inboxPrefix: '_INBOX.admin', replicas: 3 });
    const bad = () => loadTopologySettings({ NATS_URL: 'http://n', NATS_USER: 'admin', JETSTREAM_REPLICAS: '9' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/NATS_URL: expected/);
    expect(bad).toThrow(/JETSTREAM_REPLICAS: expected/);
    expect(() => loadTopologySettings({ NATS_URL: 'nats://n:4222', NATS_USER: 'admin' })).toThrow(
      /NATS_PASS: expected to be set together with NATS_USER/,
    );
  });
});
