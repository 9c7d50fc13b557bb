import { jetstreamManager } from '@nats-io/jetstream';
import { waitFor, type NatsCluster } from '@tandem/testing';
import { describeMark, ReliabilitySystem } from './reliability-system';

/**
 * SPEC §4/§7 on a 3-node JetStream cluster: the streams and the consumer are
 * created with 3 replicas (`JETSTREAM_REPLICAS=3`) and the services get all three URLs.
 * The node leading the ORDERS stream is SIGKILLed mid-load and later restarted on its
 * store: the service carries on (a few 503s during the elections are fine) and no order
 * answered 201 is lost.
 */
describe('reliability: a 3-node JetStream cluster loses a node under load', () => {
  let system: ReliabilitySystem | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('no 201 order is lost, the service continues, and the node rejoins on its store', async () => {
    const s = (system = await ReliabilitySystem.start({ cluster: true, consumerEnv: { FULFILMENT_DELAY_MS: '5' } }));
    const cluster = s.cluster as NatsCluster;
    const jsm = await jetstreamManager(s.nc);
    const replicas = async () =>
      Object.fromEntries(
        await Promise.all(['ORDERS', 'ORDERS_DLQ'].map(async (name) => [name, (await jsm.streams.info(name)).config.num_replicas])),
      );
    expect(await replicas()).toEqual({ ORDERS: 3, ORDERS_DLQ: 3 });
    expect((await jsm.consumers.info('ORDERS', 'fulfilment')).config.num_replicas).toBe(3);
    const pids = { order: s.order.process.pid, consumer: s.consumer.process.pid };

    const load = s.load({ orders: 500, keyPrefix: 'cluster' });
    await load.whenCompleted(120);
    const leader = (await jsm.streams.info('ORDERS')).cluster?.leader ?? 'n1';
    const victim = Number(leader.replace(/^n/, '')) - 1;
    const mark = load.mark(`SIGKILL ${leader}`);
    await cluster.killNode(victim);
    const killedAt = Date.now();
    // the service goes on with two nodes: orders are accepted again after the elections
    await waitFor(() => load.attempts.some((a) => a.startedAt > killedAt + 500 && a.status === 201) || load.completed === 500, {
      description: '201s with one node down',
      timeoutMs: 30_000,
    });
    const acceptedWhileDown = load.attempts.filter((a) => a.startedAt > killedAt && a.status === 201).length;
    await cluster.startNode(victim);
    // back on its store: every replica of the orders stream is current again
    await waitFor(
      async () => {
        for (const name of ['ORDERS']) {
          const info = await jsm.streams.info(name);
          const peers = info.cluster?.replicas ?? [];
          if (peers.length !== 2 || peers.some((p) => !p.current || p.offline)) return false;
        }
        return true;
      },
      { description: `${leader} to rejoin and catch up`, timeoutMs: 60_000, intervalMs: 250 },
    );
    await load.finished;
    const retries = await load.retryUnaccepted();
    const { audit } = await s.audit(
      'cluster: stream leader SIGKILLed and restarted mid-load',
      load.attempts,
      {
        killed: `${leader} (ORDERS leader)`,
        'in-flight at kill': describeMark(load, mark),
        '201 while down': acceptedWhileDown,
        '503s until ms after kill': Math.max(
          0,
          ...load.attempts.filter((a) => a.startedAt >= killedAt && a.status === 503).map((a) => a.endedAt - killedAt),
        ),
      },
      90_000,
    );
    await load.close();

    expect({ order: s.order.process.pid, consumer: s.consumer.process.pid }).toEqual(pids);
    expect((await s.order.get('/readyz')).status).toBe(200);
    expect((await s.consumer.get('/readyz')).status).toBe(200);
    expect(acceptedWhileDown).toBeGreaterThan(0);
    expect(retries.filter((a) => a.status !== 201)).toEqual([]);
    expect(audit.problems).toEqual([]);
    expect(audit.accepted).toBe(500);
    expect(audit.fulfilled).toBe(500);
  }, 180_000);
});
