import { readFileSync } from 'node:fs';
import { AppProcess, EventStreamClient, freePort, NatsServer } from '@tandem/testing';

/**
 * TCP connections (any state but LISTEN) with `port` at either end, from the kernel's
 * tables (Linux), each as "local remote": a request that reached the port over HTTP
 * leaves one behind (ESTABLISHED while kept alive, TIME_WAIT after). Compare two
 * snapshots: a port from freePort may come with TIME_WAIT rows left by an earlier server
 * on the same number that closed its connections first (a listener may bind over those),
 * but no new row appears unless something connects to the port.
 */
function connectionsWithPort(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 table
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, remote, state] = line.trim().split(/\s+/);
      if (!local || !remote || state === '0A') continue;
      if (local.endsWith(`:${hex}`) || remote.endsWith(`:${hex}`)) rows.add(`${local} ${remote}`);
    }
  }
  return rows;
}

/** The rows of `after` that `before` did not have. */
function newConnections(before: Set<string>, after: Set<string>): string[] {
  return [...after].filter((row) => !before.has(row));
}

/** A NATS server and the all-in-one process on three free ports, ready. */
async function startAllInOne() {
  const nats = await NatsServer.start();
  const ports = { gateway: await freePort(), order: await freePort(), consumer: await freePort() };
  try {
    const app = await AppProcess.start('all-in-one', {
      env: {
        PORT: String(ports.gateway),
        GATEWAY_PORT: String(ports.gateway),
        ORDER_PORT: String(ports.order),
        CONSUMER_PORT: String(ports.consumer),
        NATS_URL: nats.url,
      },
    });
    return { nats, ports, app };
  } catch (error) {
    // A start that fails must not leave its nats-server behind.
    await nats.cleanup();
    throw error;
  }
}

describe('all-in-one process: three services, one supervisor, one NATS connection', () => {
  it('stops at start with exit code 78 naming a bad per-service port variable', async () => {
    const app = await AppProcess.start('all-in-one', { env: { ORDER_PORT: 'abc' }, waitForReady: false });
    expect((await app.process.exited).code).toBe(78);
    expect(app.process.output()).toContain('ORDER_PORT: expected an integer port 1..65535, got "abc"');
  });

  it('serves each service on its own port, shares one NATS connection, and shuts down HTTP first, NATS last', async () => {
    const { nats, ports, app } = await startAllInOne();
    try {
      for (const [service, port] of Object.entries(ports)) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(ready.status).toBe(200);
        const body = (await ready.json()) as { components: Array<{ name: string }> };
        expect(body.components.map((c) => c.name).sort()).toEqual([
          'consumer.consumer:dead-letters',
          'consumer.consumer:fulfilment',
          'consumer.http',
          'consumer.topology',
          'gateway.event-streams',
          'gateway.http',
          'nats',
          'order.event-streams',
          'order.http',
          'order.order-changes',
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
        // Event streams before their HTTP server (clients told to reconnect), the order
        // changes feed after order's HTTP server (a waiting client is served to the end).
        'stop:gateway.event-streams',
        'stop:gateway.http',
        'stop:consumer.http',
        'stop:consumer.consumer:dead-letters',
        'stop:consumer.consumer:fulfilment',
        'stop:consumer.topology',
        'stop:order.event-streams',
        'stop:order.http',
        'stop:order.order-changes',
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

  it('the gateway calls order in process: an order is created and read through the gateway without any connection to the order port', async () => {
    const { nats, ports, app } = await startAllInOne();
    try {
      const before = connectionsWithPort(ports.order);
      const gateway = `http://127.0.0.1:${ports.gateway}`;
      const created = await fetch(`${gateway}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'one-process-1' },
        body: JSON.stringify({ sku: 'ONE-1', qty: 2 }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-order-version')).toBe('v1');
      const order = (await created.json()) as { id: string; sku: string };
      expect(created.headers.get('location')).toBe(`/orders/${order.id}`);
      const replay = await fetch(`${gateway}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'one-process-1' },
        body: JSON.stringify({ sku: 'ONE-1', qty: 2 }),
      });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      const read = await fetch(`${gateway}/orders/${order.id}`);
      expect(read.status).toBe(200);
      expect(((await read.json()) as { id: string }).id).toBe(order.id);
      const invalid = await fetch(`${gateway}/orders/not-a-uuid`);
      expect(invalid.status).toBe(400);
      // The event stream, relayed from order's app in process: it ends with the fulfilment.
      const events = await EventStreamClient.open(`${gateway}/orders/${order.id}/events`);
      expect(events.status).toBe(200);
      expect(events.headers['x-order-version']).toBe('v1');
      expect(await events.ended).toBe('end');
      expect(events.names().at(-1)).toBe('fulfilled');
      expect(JSON.parse(events.events.at(-1)?.data ?? '')).toMatchObject({ id: order.id, status: 'fulfilled' });

      // No HTTP request reached the order port, yet order handled them (its metrics count them)…
      expect(newConnections(before, connectionsWithPort(ports.order))).toEqual([]);
      const metrics = await (await fetch(`http://127.0.0.1:${ports.order}/metrics`)).text();
      expect(metrics).toMatch(/http_server_requests_total\{[^}]*method="POST",route="\/orders",status_code="201"[^}]*\} 2/);
      expect(metrics).toMatch(/http_server_requests_total\{[^}]*method="GET",route="\/orders\/:id",status_code="200"[^}]*\} 1/);
      expect(metrics).toMatch(/http_server_requests_total\{[^}]*method="GET",route="\/orders\/:id\/events",status_code="200"[^}]*\} 1/);
      // …and the probe does see a connection when one is made: the order API still listens on its port.
      expect(newConnections(before, connectionsWithPort(ports.order)).length).toBeGreaterThan(0);
    } finally {
      await app.stop('SIGTERM');
      await nats.cleanup();
    }
  });
});
