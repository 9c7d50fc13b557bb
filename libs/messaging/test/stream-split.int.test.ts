import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { DEFAULT_BACKOFF, deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor } from '@tandem/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import Type from 'typebox';
import { ConsumerRunner } from '../src/consumer-runner.component';
import { messagingMetrics } from '../src/middleware/metrics';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { splitOwner, StreamSplit, versionSplit, type SplitVersion, type SplitWeights } from '../src/stream-split';
import { ensureTopology } from '../src/topology';

const Split = Type.Object({ v1: Type.Integer(), v2: Type.Integer() });
const Job = Type.Object({ n: Type.Integer() });
const splitEvent = { subject: 'work.split', schema: Split };
const weightsOf = (value: { v1: number; v2: number }): SplitWeights | string =>
  value.v1 + value.v2 === 100 ? value : `v1 + v2 = ${value.v1 + value.v2}`;

/**
 * StreamSplit and versionSplit on a real nats-server: two versions, each with its own durable
 * on the same subjects, while the split moves under a steady stream of messages.
 */
describe('StreamSplit (real nats-server)', () => {
  let server: NatsServer;
  let nats: NatsConnectionComponent;
  let js: JetStreamClient;
  const startContext = (): StartContext => ({
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    fail: () => undefined,
  });
  const setSplit = async (weights: { v1: number; v2: number }) => {
    const h = headers();
    h.set('Nats-TTL', 'never');
    return (await js.publish(splitEvent.subject, JSON.stringify(weights), { headers: h })).seq;
  };

  beforeAll(async () => {
    server = await NatsServer.start();
    nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'split' });
    await nats.start(startContext());
    const nc = await nats.whenConnected();
    await ensureTopology(
      nc,
      {
        streams: [{ name: 'WORK', subjects: ['work.>'], maxAgeMs: 600_000, allowMsgTtl: true }],
        consumers: [
          { stream: 'WORK', durable: 'w-v1', filterSubject: 'work.job.*', ackWaitMs: 5_000 },
          { stream: 'WORK', durable: 'w-v2', filterSubject: 'work.job.*', ackWaitMs: 5_000 },
        ],
      },
      { replicas: 1 },
    );
    js = jetstream(nc);
  });
  afterAll(async () => {
    await nats?.stop(deadlineIn(2_000));
    await server?.cleanup();
  });

  it('answers, for any sequence, the last valid split stored before it; an invalid one is ignored; two instances agree', async () => {
    const lines: Array<{ msg: string; seq?: number }> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const before = (await js.publish('work.other.1', '{}')).seq;
    const first = await setSplit({ v1: 70, v2: 30 });
    const between = (await js.publish('work.other.2', '{}')).seq;
    const invalid = await setSplit({ v1: 70, v2: 70 });
    const afterInvalid = (await js.publish('work.other.3', '{}')).seq;
    const second = await setSplit({ v1: 0, v2: 100 });
    const last = (await js.publish('work.other.4', '{}')).seq;

    const a = new StreamSplit({ connection: nats, stream: 'WORK', event: splitEvent, weightsOf, logger });
    // Asked out of order, as redeliveries come: the answer depends on the sequence only.
    expect(await a.inForceAt(last)).toEqual({ weights: { v1: 0, v2: 100 }, since: second });
    expect(await a.inForceAt(before)).toEqual({ weights: { v1: 100, v2: 0 }, since: 0 });
    expect(await a.inForceAt(first)).toEqual({ weights: { v1: 100, v2: 0 }, since: 0 });
    expect(await a.inForceAt(between)).toEqual({ weights: { v1: 70, v2: 30 }, since: first });
    expect(await a.inForceAt(afterInvalid)).toEqual({ weights: { v1: 70, v2: 30 }, since: first });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'split message ignored: the split before it stays', seq: invalid }));

    // A second instance that first asks about an early sequence, then learns of a later split.
    const b = new StreamSplit({ connection: nats, stream: 'WORK', event: splitEvent, weightsOf });
    expect(await b.inForceAt(between)).toEqual(await a.inForceAt(between));
    const third = await setSplit({ v1: 100, v2: 0 });
    const after = (await js.publish('work.other.5', '{}')).seq;
    expect(await b.inForceAt(after)).toEqual({ weights: { v1: 100, v2: 0 }, since: third });
    expect(await a.inForceAt(after)).toEqual({ weights: { v1: 100, v2: 0 }, since: third });
    expect(await b.inForceAt(afterInvalid)).toEqual({ weights: { v1: 70, v2: 30 }, since: first });
  });

  it('two versions with a durable each: every message is handled once, by the owner under the split stored before it, while the split moves', async () => {
    const registry = new Registry();
    const metrics = messagingMetrics(registry);
    const handled = new Map<number, SplitVersion[]>();
    const runners = (['v1', 'v2'] as const).map((version) => {
      const split = new StreamSplit({ connection: nats, stream: 'WORK', event: splitEvent, weightsOf });
      return new ConsumerRunner({
        name: `w-${version}`,
        connection: nats,
        consumer: { stream: 'WORK', durable: `w-${version}`, filterSubject: 'work.job.*' },
        event: { subject: 'work.job.*', schema: Job },
        handler: async (job) => {
          handled.set(job.n, [...(handled.get(job.n) ?? []), version]);
        },
        concurrency: 8,
        retryBackoff: DEFAULT_BACKOFF,
        metrics,
        gate: versionSplit(split, version),
      });
    });
    for (const r of runners) await r.start(startContext());
    // 600 messages while the split moves five times (publishes and splits in one stream order).
    const expected = new Map<number, SplitVersion>();
    const subjects = new Map<number, string>();
    const plan: Array<{ v1: number; v2: number }> = [
      { v1: 90, v2: 10 },
      { v1: 50, v2: 50 },
      { v1: 0, v2: 100 },
      { v1: 100, v2: 0 },
      { v1: 70, v2: 30 },
    ];
    let weights: SplitWeights = { v1: 100, v2: 0 };
    const pending: Array<Promise<unknown>> = [];
    for (let n = 0; n < 600; n++) {
      if (n % 100 === 50) {
        // Every earlier publish is acknowledged first, so the split's place in the stream is known.
        await Promise.all(pending.splice(0));
        weights = plan.shift() ?? weights;
        await setSplit(weights);
      }
      const subject = `work.job.${crypto.randomUUID()}`;
      subjects.set(n, subject);
      expected.set(n, splitOwner(subject, weights));
      pending.push(js.publish(subject, JSON.stringify({ n })));
    }
    await Promise.all(pending);
    try {
      await waitFor(() => handled.size === 600, { description: 'all 600 messages handled', timeoutMs: 60_000 });
      // Let anything that would be handled a second time show up: both durables drained, nothing pending.
      const jsm = await jetstreamManager(await nats.whenConnected());
      await waitFor(
        async () => {
          const infos = await Promise.all(['w-v1', 'w-v2'].map((d) => jsm.consumers.info('WORK', d)));
          return infos.every((i) => i.num_pending === 0 && i.num_ack_pending === 0);
        },
        { description: 'both durables drained', timeoutMs: 30_000 },
      );
    } finally {
      for (const r of runners) await r.stop(deadlineIn(5_000));
    }
    const wrong = [...expected].filter(([n, owner]) => JSON.stringify(handled.get(n)) !== JSON.stringify([owner]));
    expect(wrong.map(([n, owner]) => `${n} (${subjects.get(n)}): expected [${owner}], got ${JSON.stringify(handled.get(n))}`)).toEqual([]);
    const byVersion = (v: SplitVersion) => [...expected.values()].filter((o) => o === v).length;
    expect(byVersion('v1')).toBeGreaterThan(0);
    expect(byVersion('v2')).toBeGreaterThan(0);
    // Each version acked the other's share unhandled: the metrics say "skipped".
    const text = await registry.metrics();
    for (const [version, other] of [
      ['v1', 'v2'],
      ['v2', 'v1'],
    ] as const) {
      expect(text).toContain(
        `messaging_messages_consumed_total{subject="work.job.*",consumer="w-${version}",outcome="acked"} ${byVersion(version)}`,
      );
      expect(text).toContain(
        `messaging_messages_consumed_total{subject="work.job.*",consumer="w-${version}",outcome="skipped"} ${byVersion(other)}`,
      );
    }
  });
});
