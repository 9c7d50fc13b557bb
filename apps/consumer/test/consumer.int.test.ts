import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { orderSubject } from '@tandem/contracts';
import { AppProcess, freePort, NatsServer, waitFor } from '@tandem/testing';

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

  it('fulfils an order once: an order whose orders.fulfilled.<id> is already stored is acked without a second one', async () => {
    const server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    const app = await AppProcess.start('consumer', { env: { NATS_URL: server.url, FULFILMENT_DELAY_MS: '0' } });
    try {
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const event = (orderId: string) =>
        JSON.stringify({ eventVersion: 1, orderId, sku: 'ONCE-1', qty: 1, createdAt: new Date().toISOString(), serviceVersion: 'v1' });
      const [fresh, done] = ['0b6f2d0e-4c1a-8c2b-9d7e-2f0f5a1b3c4d', '1c7f3e1f-5d2b-8d3c-8e8f-3a1b6c2d4e5f'];
      // `done` was fulfilled by an instance that died before acking its orders.created
      await js.publish(
        orderSubject('fulfilled', done),
        JSON.stringify({ eventVersion: 1, orderId: done, fulfilledAt: new Date().toISOString() }),
      );
      await js.publish(orderSubject('created', done), event(done));
      await js.publish(orderSubject('created', fresh), event(fresh));
      await waitFor(
        async () =>
          (await jsm.consumers.info('ORDERS', 'fulfilment')).num_ack_pending +
            (await jsm.consumers.info('ORDERS', 'fulfilment')).num_pending ===
            0 &&
          app.logs().some((l) => l['msg'] === 'order already fulfilled') &&
          app.logs().some((l) => l['msg'] === 'order fulfilled' && l['orderId'] === fresh),
        {
          description: 'both orders handled',
        },
      );
      const info = await jsm.streams.info('ORDERS', { subjects_filter: 'orders.fulfilled.*' });
      expect(info.state.subjects).toEqual({ [orderSubject('fulfilled', done)]: 1, [orderSubject('fulfilled', fresh)]: 1 });
      expect(app.logs().find((l) => l['msg'] === 'order already fulfilled')).toMatchObject({ orderId: done });
      expect(
        app
          .logs()
          .filter((l) => l['msg'] === 'order fulfilled')
          .map((l) => l['orderId']),
      ).toEqual([fresh]);
    } finally {
      await app.stop();
      await nc.close();
      await server.cleanup();
    }
  });
});
