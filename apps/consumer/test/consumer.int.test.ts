import { AppProcess, freePort, NatsServer } from '@tandem/testing';

describe('consumer process (dist/apps/consumer/main.js)', () => {
  it('stops at start with exit code 78 naming the invalid variable', async () => {
    const app = await AppProcess.start('consumer', {
      env: { NATS_URL: 'nats://ok:4222,http://x', SHUTDOWN_DELAY_MS: '-1' },
      waitForReady: false,
    });
    expect((await app.process.exited).code).toBe(78);
    expect(app.process.output()).toMatch(/NATS_URL: expected a comma-separated list of nats:\/\//);
    expect(app.process.output()).toContain('SHUTDOWN_DELAY_MS: expected a whole number of milliseconds 0..600000, got "-1"');
  });

  it('serves probes and metrics, is not ready until NATS is reachable, and exits 0 on SIGTERM', async () => {
    const natsPort = await freePort();
    const app = await AppProcess.start('consumer', { env: { NATS_URL: `nats://127.0.0.1:${natsPort}` }, waitForReady: false });
    let server: NatsServer | undefined;
    try {
      await app.waitForStatus('/livez', 200);
      await app.waitForStatus('/readyz', 503);
      const metrics = await app.get('/metrics');
      expect(metrics.text).toContain('tandem_build_info{version="v1"');
      server = await NatsServer.start({ port: natsPort });
      await app.waitForStatus('/readyz', 200, 30_000);
      expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    } finally {
      await app.stop('SIGKILL');
      await server?.cleanup();
    }
  });
});
