import { AppProcess } from '@tandem/testing';

describe('gateway process (dist/apps/gateway/main.js)', () => {
  it('stops at start with exit code 78 naming each invalid variable', async () => {
    const app = await AppProcess.start('gateway', {
      env: { PORT: 'abc', ORDER_URL: 'ftp://x', SERVICE_VERSION: 'v 2' },
      waitForReady: false,
    });
    expect((await app.process.exited).code).toBe(78);
    const out = app.process.output();
    expect(out).toContain('PORT: expected an integer port 1..65535, got "abc"');
    expect(out).toContain('ORDER_URL: expected an http:// or https:// URL');
    expect(out).toContain('SERVICE_VERSION: expected a version label');
  });

  it('is ready without NATS or the order service (no cascading unreadiness) and exits 0 on SIGTERM', async () => {
    const app = await AppProcess.start('gateway', { env: { ORDER_URL: 'http://127.0.0.1:9' } });
    try {
      const ready = await app.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'ready',
        components: [
          { name: 'telemetry', ready: true },
          { name: 'http', ready: true },
          { name: 'event-streams', ready: true, detail: '0 open stream(s)' },
        ],
      });
      expect((await app.get('/nowhere')).status).toBe(404);
      expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    } finally {
      await app.stop('SIGKILL');
    }
  });
});
