import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AppProcess, freePort, NatsServer, waitForPortClosed } from '@tandem/testing';

type Readyz = { status: string; components: Array<{ name: string; ready: boolean; state: string; detail?: string }> };

describe('order service process (dist/apps/order/main.js)', () => {
  it('on an open server (no users) declares the stream it writes itself, idempotently, and refuses to run against a conflicting one', async () => {
    const server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    try {
      for (let run = 0; run < 2; run++) {
        const app = await AppProcess.start('order', { env: { NATS_URL: server.url } });
        expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      }
      const jsm = await jetstreamManager(nc);
      const orders = await jsm.streams.info('ORDERS');
      expect(orders.config).toMatchObject({
        subjects: ['orders.>'],
        storage: 'file',
        duplicate_window: 120_000_000_000,
        num_replicas: 1,
        allow_direct: true,
        max_age: 30 * 86_400 * 1e9,
        max_bytes: 256 * 1024 * 1024,
        discard: 'new',
      });
      // orders are their events: the order service keeps no bucket and consumes nothing; the
      // dead letters are the consumer's (with users, the admin identity declares everything)
      const names = [];
      for await (const info of jsm.streams.list()) names.push(info.config.name);
      expect(names.sort()).toEqual(['ORDERS']);
      expect(orders.state.consumer_count).toBe(0);

      await jsm.streams.delete('ORDERS');
      await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], storage: StorageType.Memory });
      const app = await AppProcess.start('order', { env: { NATS_URL: server.url }, waitForReady: false });
      expect((await app.process.exited).code).toBe(1);
      expect(app.process.output()).toContain('stream ORDERS: field \\"storage\\" is \\"memory\\" on the server but \\"file\\" is declared');
    } finally {
      await nc.close();
      await server.cleanup();
    }
  });

  it('stops at start with exit code 78 naming each invalid variable', async () => {
    const app = await AppProcess.start('order', { env: { PORT: '0', NATS_URL: 'http://x' }, waitForReady: false });
    const exit = await app.process.exited;
    expect(exit.code).toBe(78);
    expect(app.process.output()).toContain('PORT: expected an integer port 1..65535, got "0"');
    expect(app.process.output()).toContain('NATS_URL: expected a comma-separated list of nats:// (or tls://) URLs');
  });

  it('stays alive and not ready without NATS, becomes ready when NATS appears, survives a NATS restart, and exits 0 on SIGTERM', async () => {
    const natsPort = await freePort();
    const app = await AppProcess.start('order', { env: { NATS_URL: `nats://127.0.0.1:${natsPort}` }, waitForReady: false });
    let server: NatsServer | undefined;
    try {
      await app.waitForStatus('/livez', 200);
      const notReady = await app.waitForStatus('/readyz', 503);
      const nats = (notReady.body as Readyz).components.find((c) => c.name === 'nats');
      expect(nats).toMatchObject({ ready: false, state: 'running' });
      expect(nats?.detail).toMatch(/cannot connect to nats:\/\/127\.0\.0\.1:\d+/);
      expect((notReady.body as Readyz).components.find((c) => c.name === 'http')).toMatchObject({ ready: true });
      const pid = app.process.pid;

      server = await NatsServer.start({ port: natsPort });
      await app.waitForStatus('/readyz', 200, 30_000);

      await server.kill();
      await waitForPortClosed(natsPort);
      const down = await app.waitForStatus('/readyz', 503);
      expect((down.body as Readyz).components.find((c) => c.name === 'nats')?.ready).toBe(false);
      expect((await app.get('/livez')).status).toBe(200);
      await server.restart();
      await app.waitForStatus('/readyz', 200, 30_000);
      expect(app.process.pid).toBe(pid);
      expect(app.process.running).toBe(true);

      const exit = await app.stop('SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
      const steps = app
        .logs()
        .filter((l) => l['shutdownStep'])
        .map((l) => l['shutdownStep'] + (l['component'] ? `:${l['component']}` : ''));
      expect(steps).toEqual([
        'readiness-off',
        'delay',
        'stop-intake',
        'stop:event-streams',
        'stop:http',
        'stop:order-changes',
        'stop:topology',
        'stop:nats',
        'stop:telemetry',
        'complete',
      ]);
    } finally {
      await app.stop('SIGKILL');
      await server?.cleanup();
    }
  });
});
