import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { TandemTopology, Topology } from '@tandem/contracts';
import { freePort, NatsServer, workspaceRoot } from '@tandem/testing';

const program = join(workspaceRoot(), 'dist', 'tools', 'topology', 'main.js');

/** Runs the built `npm run nats:topology` program; resolves with exit code and output. */
async function run(env: Record<string, string>, args: string[] = []): Promise<{ code: number; out: string }> {
  const clean = { PATH: process.env['PATH'] ?? '' };
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [program, ...args], {
      env: { ...clean, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

describe('npm run nats:topology (dist/tools/topology) against a real nats-server with Tandem’s users', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start({ accounts: true, topology: false });
  });
  afterAll(async () => {
    await nats?.cleanup();
  });

  it('--check on an empty server lists every missing part and exits 1, changing nothing', async () => {
    const result = await run(nats.clientEnv('admin'), ['--check']);
    expect(result.code).toBe(1);
    for (const stream of TandemTopology.streams) expect(result.out).toContain(`stream ${stream.name}: would be created\n`);
    for (const c of TandemTopology.consumers) expect(result.out).toContain(`consumer ${c.stream}/${c.durable}: would be created\n`);
    expect(result.out).toContain(': 6 difference(s)');
    expect((await run(nats.clientEnv('admin'), ['--check'])).code).toBe(1); // still nothing there
  });

  it('a wrong password is final: exit 1 at once, not after --wait', async () => {
    const started = Date.now();
    const result = await run({ ...nats.clientEnv('admin'), NATS_PASS: 'pwrong' }, ['--wait', '60']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/nats:topology: .*Authorization Violation/i);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('as a service’s user it is refused, says so and exits 1 at once (no waiting on a refusal)', async () => {
    const started = Date.now();
    const result = await run(nats.clientEnv('order'), ['--wait', '60']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /nats:topology: .*may not publish to "\$JS\.API\.STREAM\.CREATE\.ORDERS".*\(is NATS_USER the administrative identity\?\)/,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('as admin declares everything with the limits of libs/contracts, then changes nothing; --check then passes', async () => {
    const first = await run({ ...nats.clientEnv('admin'), JETSTREAM_REPLICAS: '1' });
    expect(first.code).toBe(0);
    expect(first.out.split('\n').filter((l) => / (created|updated|unchanged)$/.test(l))).toEqual([
      'stream ORDERS: created',
      'stream ORDERS_DLQ: created',
      'stream ORDERS_MAX_DELIVERIES: created',
      'consumer ORDERS/fulfilment: created',
      'consumer ORDERS/fulfilment-v2: created',
      'consumer ORDERS_MAX_DELIVERIES/dead-letters: created',
    ]);
    const second = await run(nats.clientEnv('admin'));
    expect(second.code).toBe(0);
    expect(second.out.match(/: unchanged$/gm)).toHaveLength(6);
    expect(await run(nats.clientEnv('admin'), ['--check'])).toMatchObject({ code: 0, out: expect.stringContaining(': as declared') });
    // --check compares limits and replicas too: the cluster's 3 replicas are not what is here.
    const r3 = await run({ ...nats.clientEnv('admin'), JETSTREAM_REPLICAS: '3' }, ['--check']);
    expect(r3.code).toBe(1);
    expect(r3.out).toContain('stream ORDERS: would be updated\n');

    const { user, pass, inboxPrefix } = nats.user('admin');
    const nc = await connect({ servers: nats.url, user, pass, inboxPrefix });
    try {
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info('ORDERS_MAX_DELIVERIES')).config).toMatchObject({
        subjects: [
          '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfilment',
          '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.fulfilment-v2',
        ],
        retention: 'workqueue',
        max_bytes: 64 * 1024 * 1024,
      });
      expect((await jsm.consumers.info('ORDERS_MAX_DELIVERIES', 'dead-letters')).config).toMatchObject({
        filter_subject: '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.*',
        max_deliver: -1,
      });
      // Both fulfilment versions' durables, and ORDERS honouring the split's `Nats-TTL: never`.
      expect((await jsm.consumers.info('ORDERS', 'fulfilment-v2')).config.filter_subject).toBe('orders.created.*');
      expect((await jsm.streams.info('ORDERS')).config.allow_msg_ttl).toBe(true);
      // A limit changed by hand is put back by the next run (updated), the stored messages kept.
      await jsm.consumers.update('ORDERS', 'fulfilment', { max_deliver: 9 });
      expect((await run(nats.clientEnv('admin'), ['--check'])).out).toContain('consumer ORDERS/fulfilment: would be updated\n');
      const third = await run(nats.clientEnv('admin'));
      expect(third.out).toContain('consumer ORDERS/fulfilment: updated\n');
      expect((await jsm.consumers.info('ORDERS', 'fulfilment')).config.max_deliver).toBe(Topology.fulfilmentConsumer.maxDeliver);
    } finally {
      await nc.close();
    }
  });

  it('waits for a server that is not there yet, up to --wait, then names why it gave up', async () => {
    const port = await freePort();
    const result = await run({ NATS_URL: `nats://127.0.0.1:${port}` }, ['--wait', '2']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/trying again in [\d.]+ s/);
    expect(result.out.trim().split('\n').at(-1)).toMatch(/^nats:topology: /);
  });

  it('exits 2 naming a bad variable or argument', async () => {
    expect(await run({ NATS_URL: 'http://x' })).toMatchObject({ code: 2, out: expect.stringContaining('NATS_URL: expected') });
    expect(await run({ NATS_URL: nats.url }, ['--frobnicate'])).toMatchObject({
      code: 2,
      out: expect.stringContaining('unknown argument "--frobnicate"'),
    });
  });
});
