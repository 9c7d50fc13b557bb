import { AppProcess, freePort, NatsServer } from '@tandem/testing';

describe('all-in-one process: three services, one supervisor, one NATS connection', () => {
  it('stops at start with exit code 78 naming a bad per-service port variable', async () => {
    const app = await AppProcess.start('all-in-one', { env: { ORDER_PORT: 'abc' }, waitForReady: false });
    expect((await app.process.exited).code).toBe(78);
    expect(app.process.output()).toContain('ORDER_PORT: expected an integer port 1..65535, got "abc"');
  });

  it('serves each service on its own port, shares one NATS connection, and shuts down HTTP first, NATS last', async () => {
    const nats = await NatsServer.start();
    const ports = { gateway: await freePort(), order: await freePort(), consumer: await freePort() };
    const app = await AppProcess.start('all-in-one', {
      env: {
        PORT: String(ports.gateway),
        GATEWAY_PORT: String(ports.gateway),
        ORDER_PORT: String(ports.order),
        CONSUMER_PORT: String(ports.consumer),
        NATS_URL: nats.url,
      },
    });
    try {
      for (const [service, port] of Object.entries(ports)) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(ready.status).toBe(200);
        const body = (await ready.json()) as { components: Array<{ name: string }> };
        expect(body.components.map((c) => c.name).sort()).toEqual([
          'consumer.consumer:fulfilment',
          'consumer.http',
          'consumer.topology',
          'gateway.http',
          'nats',
          'order.consumer:order-projection',
          'order.consumer:order-status',
          'order.http',
          'order.topology',
          'telemetry',
        ]);
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        expect(metrics).toContain(`tandem_build_info{version="v1",node_version="${process.version}",service="${service}"} 1`);
      }
      expect(app.logs().filter((l) => l['msg'] === 'connected to NATS')).toHaveLength(1);
      expect(new Set(app.logs().map((l) => l['service']))).toEqual(new Set(['all-in-one', 'order', 'consumer', 'gateway']));

      expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      const steps = app
        .logs()
        .filter((l) => l['shutdownStep'])
        .map((l) => String(l['shutdownStep']) + (l['component'] ? `:${l['component']}` : ''));
      expect(steps).toEqual([
        'readiness-off',
        'delay',
        'stop-intake',
        'stop:gateway.http',
        'stop:consumer.http',
        'stop:consumer.consumer:fulfilment',
        'stop:consumer.topology',
        'stop:order.http',
        'stop:order.consumer:order-projection',
        'stop:order.consumer:order-status',
        'stop:order.topology',
        'stop:nats',
        'stop:telemetry',
        'complete',
      ]);
    } finally {
      await app.stop('SIGKILL');
      await nats.cleanup();
    }
  });
});
