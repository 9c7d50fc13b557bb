import { AppProcess, NatsServer, TcpProxy, waitFor } from '@tandem/testing';

type Readyz = { components: Array<{ name: string; ready: boolean; detail?: string }> };

/**
 * A black-holed path to NATS (SPEC §4 "a dead connection is noticed within
 * 10 s"): the services reach nats-server through a TCP proxy the test controls, which then
 * stops forwarding without closing anything — no FIN, no RST, as when a network drops
 * packets. Only the client's pings can tell. Order and consumer as built, NATS with the
 * production users and permissions.
 */
describe('a black-holed NATS connection', () => {
  let nats: NatsServer;
  let proxy: TcpProxy;
  let order: AppProcess | undefined;
  let consumer: AppProcess | undefined;

  beforeAll(async () => {
    nats = await NatsServer.start({ accounts: true });
    proxy = await TcpProxy.start(nats.port);
  });
  afterAll(async () => {
    await order?.stop();
    await consumer?.stop();
    await proxy?.stop();
    await nats?.cleanup();
  });

  const post = (key: string) =>
    fetch(`${order?.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ sku: 'HOLE-1', qty: 1 }),
      signal: AbortSignal.timeout(15_000),
    });

  it('is noticed by its pings (9 s by design): /readyz 503, POST 503 at once; everything resumes when the path heals', async () => {
    const through = { ...nats.clientEnv('order'), NATS_URL: proxy.natsUrl };
    order = await AppProcess.start('order', { env: through });
    consumer = await AppProcess.start('consumer', { env: { ...nats.clientEnv('consumer'), NATS_URL: proxy.natsUrl } });
    expect((await post('hole-before')).status).toBe(201);

    const silentAt = Date.now();
    proxy.blackHole();
    // Dead after at most 3 unanswered ping rounds of 3 s (9 s); the slack is for a loaded machine's timers.
    const notReady = await Promise.all(
      [order, consumer].map((app) =>
        waitFor(
          async () => {
            const r = await app.get('/readyz');
            const nats = (r.body as Readyz).components?.find((c) => c.name === 'nats');
            return nats?.ready === false ? { app: app.app, afterMs: Date.now() - silentAt, status: r.status, nats } : undefined;
          },
          { timeoutMs: 14_000, intervalMs: 100, description: `${app.app} noticing the dead connection` },
        ),
      ),
    );
    console.log(`[reliability] black-holed NATS path noticed after ${notReady.map((n) => `${n.app} ${n.afterMs} ms`).join(', ')}`);
    for (const seen of notReady) {
      expect(seen.status).toBe(503);
      expect(seen.afterMs).toBeGreaterThanOrEqual(3_000); // not before a ping could go unanswered
    }
    expect(order.logs().some((l) => l['msg'] === 'NATS connection stopped answering pings; dropping it')).toBe(true);
    expect(consumer.logs().some((l) => l['msg'] === 'NATS connection stopped answering pings; dropping it')).toBe(true);

    // Now a POST is refused at once, instead of each one waiting out the publish timeout.
    const started = Date.now();
    const refused = await post('hole-during');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    // (Waiting out the publish timeout would take 2 s.)
    expect(Date.now() - started).toBeLessThan(1_900);

    proxy.heal();
    await order.waitForStatus('/readyz', 200, 60_000);
    await consumer.waitForStatus('/readyz', 200, 60_000);
    const created = await post('hole-after');
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await waitFor(
      async () => (((await order?.get(`/orders/${id}`))?.body as { status?: string }).status === 'fulfilled' ? true : undefined),
      { description: 'the order after the heal fulfilled' },
    );
    // Nothing was lost: the order refused during the outage can be made now with the same key.
    expect((await post('hole-during')).status).toBe(201);
  });
});
