import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FulfilmentSplitSubject, type FulfilmentSplitV1 } from '@tandem/contracts';
import { splitOwner, type SplitVersion, type SplitWeights } from '@tandem/messaging';
import { AppProcess, workspaceRoot } from '@tandem/testing';
import { readStream } from '../support/order-audit';
import { ReliabilitySystem } from './reliability-system';

const CANARY = join(workspaceRoot(), 'dist', 'tools', 'canary', 'main.js');

/** The order ids a consumer process logged with `msg` ("order fulfilled": it stored the fulfilment). */
function logged(process: AppProcess, msg: 'order fulfilled' | 'order already fulfilled'): string[] {
  return process.process
    .output()
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      const entry = JSON.parse(line) as { msg?: string; orderId?: string };
      return entry.msg === msg && entry.orderId ? [entry.orderId] : [];
    });
}

/**
 * One canary for HTTP and messages (docs/decisions/0018), under load: order, gateway and two
 * fulfilment processes (v1 and v2, each on its own durable) run for real while
 * `npm run canary` (the built program, as the admin identity) moves the split four times.
 * Every order is fulfilled exactly once (the order audit), and each by the version that the
 * split stored in ORDERS before it gives it.
 */
describe('reliability: the fulfilment canary moving under load', () => {
  let system: ReliabilitySystem | undefined;
  let v2: AppProcess | undefined;
  let files: string | undefined;
  afterEach(async () => {
    await v2?.stop();
    await system?.stop();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('each order is fulfilled once, by the owner under the split stored before it, while the split moves 4 times', async () => {
    const s = (system = await ReliabilitySystem.start({ consumerEnv: { FULFILMENT_DELAY_MS: '5' } }));
    const nats = s.nats;
    if (!nats) throw new Error('the single-server system has Tandem’s users');
    v2 = await AppProcess.start('consumer', {
      env: { NATS_URL: s.natsUrl, ...nats.clientEnv('consumer'), SERVICE_VERSION: 'v2', FULFILMENT_DELAY_MS: '5', LOG_LEVEL: 'info' },
    });
    // The CLI edits copies of the real manifests, and moves the message split on this server.
    files = await mkdtemp(join(tmpdir(), 'canary-load-'));
    const vs = join(files, 'order-virtualservice.yaml');
    await copyFile(join(workspaceRoot(), 'deploy/istio/order-virtualservice.yaml'), vs);
    await copyFile(join(workspaceRoot(), 'deploy/istio/order-destinationrule.yaml'), join(files, 'order-destinationrule.yaml'));
    const canary = async (...args: string[]) => {
      const { stdout } = await promisify(execFile)(process.execPath, [CANARY, ...args, '--file', vs], {
        env: { PATH: process.env['PATH'] ?? '', ...nats.clientEnv('admin') },
        timeout: 30_000,
      });
      return stdout;
    };

    const load = s.load({ orders: 600, keyPrefix: 'canary-load' });
    const moves: Array<[number, string[]]> = [
      [100, ['set', '30']],
      [250, ['set', '70']],
      [400, ['abort']],
      [480, ['set', '50']],
    ];
    const outputs: string[] = [];
    for (const [after, args] of moves) {
      await load.whenCompleted(after);
      outputs.push(await canary(...args));
    }
    await load.finished;
    const retries = await load.retryUnaccepted();
    const { audit } = await s.audit('canary moving under load', load.attempts, {}, 90_000, [
      { stream: 'ORDERS', durable: 'fulfilment' },
      { stream: 'ORDERS', durable: 'fulfilment-v2' },
    ]);
    await load.close();

    // Each move wrote a split message and said so, HTTP and messages alike.
    expect(outputs.map((o) => /orders\.created: canary weight .* \(ORDERS, from sequence \d+\)/.test(o))).toEqual([true, true, true, true]);
    expect(retries.every((a) => a.status === 201)).toBe(true);
    expect(audit.problems).toEqual([]);
    expect(audit.accepted).toBe(600);
    expect(audit.fulfilled).toBe(600);

    // Who should have fulfilled each order: the split stored last before its orders.created.
    const expected = new Map<string, SplitVersion>();
    let weights: SplitWeights = { v1: 100, v2: 0 };
    for (const message of await readStream(s.nc, 'ORDERS')) {
      if (message.subject === FulfilmentSplitSubject) weights = message.json<FulfilmentSplitV1>().weights;
      else if (message.subject.startsWith('orders.created.'))
        expected.set(message.subject.slice('orders.created.'.length), splitOwner(message.subject, weights));
    }
    const want = (version: SplitVersion) => [...expected].filter(([, owner]) => owner === version).map(([id]) => id);
    expect(want('v1').length).toBeGreaterThan(0);
    expect(want('v2').length).toBeGreaterThan(0);
    // Each version fulfilled exactly its own share: no order by both, none by the wrong one.
    expect(logged(s.consumer, 'order fulfilled').sort()).toEqual(want('v1').sort());
    expect(logged(v2, 'order fulfilled').sort()).toEqual(want('v2').sort());
    // …and neither handled an order a second time (it would find it fulfilled already).
    expect([...logged(s.consumer, 'order already fulfilled'), ...logged(v2, 'order already fulfilled')]).toEqual([]);
  }, 180_000);
});
