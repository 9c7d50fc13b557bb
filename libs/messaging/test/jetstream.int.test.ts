import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { freePort, NatsServer, waitFor } from '@tandem/testing';
import pino from 'pino';
import Type from 'typebox';
import { Registry } from 'prom-client';
import { ConsumerRunner, DeadLetterHeaders, type MessageHandler } from '../src/consumer-runner.component';
import { messagingMetrics, type MessagingMetrics } from '../src/middleware/metrics';
import { EventNotStoredError, EventValidationError, PermanentError, TopologyConflictError, TopologyShrinkError } from '../src/errors';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { Publisher } from '../src/publisher';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

const Job = Type.Object(
  { id: Type.String({ minLength: 1 }), failTimes: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
);
const jobCreated = { subject: 'test.job', schema: Job };
const fast = { initialMs: 50, secondMs: 100, factor: 1.5, maxMs: 500, jitter: 0 };
const silent = pino({ level: 'silent' });

function context(): StartContext {
  return {
    signal: new AbortController().signal,
    logger: silent,
    fail: (e) => {
      throw e;
    },
  };
}

describe('JetStream topology, publisher and consumer runner (real nats-server)', () => {
  let server: NatsServer;
  let nats: NatsConnectionComponent;
  let jsm: JetStreamManager;
  let durableCounter = 0;

  beforeAll(async () => {
    server = await NatsServer.start();
    nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'test', backoff: fast });
    await nats.start(context());
    const nc = await nats.whenConnected();
    jsm = await jetstreamManager(nc);
    await ensureTopology(
      nc,
      {
        streams: [
          { name: 'TEST', subjects: ['test.>'] },
          { name: 'TEST_DLQ', subjects: ['dlq.test.>'] },
        ],
      },
      { replicas: 1 },
    );
  });
  afterAll(async () => {
    await nats?.stop(deadlineIn(5_000));
    await server?.cleanup();
  });

  /** A fresh durable per test, starting at the stream's current end. */
  async function freshConsumer(overrides: Partial<ConsumerSpec> = {}): Promise<ConsumerSpec> {
    const spec: ConsumerSpec = {
      stream: 'TEST',
      durable: `d${++durableCounter}`,
      filterSubject: `test.job${durableCounter}`,
      maxDeliver: 3,
      ackWaitMs: 5_000,
      ...overrides,
    };
    await ensureTopology(await nats.whenConnected(), { consumers: [spec] }, { replicas: 1 });
    return spec;
  }

  function runner(
    spec: ConsumerSpec,
    handler: MessageHandler<{ id: string; failTimes?: number }>,
    concurrency = 8,
    metrics?: MessagingMetrics,
  ) {
    return new ConsumerRunner({
      ...(metrics ? { metrics } : {}),
      connection: nats,
      consumer: spec,
      event: { subject: spec.filterSubject, schema: Job },
      handler,
      concurrency,
      retryBackoff: fast,
      deadLetterPrefix: 'dlq.',
      name: spec.durable,
    });
  }

  describe('ensureTopology', () => {
    it('is idempotent, updates what may change (limits, a filter, per-message TTL) and names the field that may not', async () => {
      const nc = await nats.whenConnected();
      const before = await jsm.streams.info('TEST');
      await ensureTopology(nc, { streams: [{ name: 'TEST', subjects: ['test.>'] }] }, { replicas: 1 });
      expect((await jsm.streams.info('TEST')).created).toEqual(before.created);
      expect(before.config.duplicate_window).toBe(120_000_000_000);

      const spec = await freshConsumer();
      await ensureTopology(nc, { consumers: [{ ...spec, maxDeliver: 7 }] }, { replicas: 1 });
      expect((await jsm.consumers.info('TEST', spec.durable)).config.max_deliver).toBe(7);

      const conflict = ensureTopology(nc, { streams: [{ name: 'TEST', subjects: ['test.>'], storage: 'memory' }] }, { replicas: 1 });
      await expect(conflict).rejects.toBeInstanceOf(TopologyConflictError);
      await expect(conflict).rejects.toThrow('stream TEST: field "storage" is "file" on the server but "memory" is declared');
      // A filter changes in place (NATS 2.10+), the consumer kept (one more fulfilment version's advisories).
      const createdAt = (await jsm.consumers.info('TEST', spec.durable)).created;
      const refiltered = await ensureTopology(nc, { consumers: [{ ...spec, filterSubject: 'test.other' }] }, { replicas: 1 });
      expect(refiltered).toEqual([{ kind: 'consumer', name: `TEST/${spec.durable}`, action: 'updated' }]);
      expect((await jsm.consumers.info('TEST', spec.durable)).config.filter_subject).toBe('test.other');
      expect((await jsm.consumers.info('TEST', spec.durable)).created).toBe(createdAt);
      // Per-message TTL is turned on by an update.
      await ensureTopology(nc, { streams: [{ name: 'TEST', subjects: ['test.>'], allowMsgTtl: true }] }, { replicas: 1 });
      expect((await jsm.streams.info('TEST')).config.allow_msg_ttl).toBe(true);
    });

    it('never lowers a byte limit below what a stream holds (the server would delete its oldest messages), and raises it', async () => {
      const nc = await nats.whenConnected();
      const stream = { name: 'SHRINK', subjects: ['shrink.>'], maxBytes: 1024 * 1024, discard: 'new' as const };
      await ensureTopology(nc, { streams: [stream] }, { replicas: 1 });
      for (let i = 0; i < 20; i++) await jetstream(nc).publish(`shrink.${i}`, new Uint8Array(512));
      const held = (await jsm.streams.info('SHRINK')).state;
      const shrink = ensureTopology(nc, { streams: [{ ...stream, maxBytes: 4 * 1024 }] }, { replicas: 1 });
      await expect(shrink).rejects.toBeInstanceOf(TopologyShrinkError);
      await expect(shrink).rejects.toThrow(`stream SHRINK holds ${held.bytes} bytes, more than the declared max_bytes 4096`);
      expect((await jsm.streams.info('SHRINK')).state).toMatchObject({ messages: 20, bytes: held.bytes });
      await ensureTopology(nc, { streams: [{ ...stream, maxBytes: 2 * 1024 * 1024 }] }, { replicas: 1 });
      expect((await jsm.streams.info('SHRINK')).config.max_bytes).toBe(2 * 1024 * 1024);
    });
  });

  describe('Publisher', () => {
    it('stores a message once however often the same message id is published', async () => {
      const publisher = new Publisher(nats);
      const event = { subject: 'test.dedupe', schema: Job };
      const first = await publisher.publish(event, { id: 'a' }, { msgId: 'job-a' });
      const second = await publisher.publish(event, { id: 'a' }, { msgId: 'job-a' });
      expect(first.duplicate).toBe(false);
      expect(second.duplicate).toBe(true);
      expect(second.seq).toBe(first.seq);
      const info = await jsm.streams.info('TEST', { subjects_filter: 'test.dedupe' });
      expect(info.state.subjects?.['test.dedupe']).toBe(1);
    });

    it('refuses an invalid payload naming the problem, and stores nothing', async () => {
      const publisher = new Publisher(nats);
      const event = { subject: 'test.invalid', schema: Job };
      const attempt = publisher.publish(event, { id: '' } as { id: string }, { msgId: 'x' });
      await expect(attempt).rejects.toBeInstanceOf(EventValidationError);
      await expect(attempt).rejects.toThrow(/payload for test.invalid is invalid: \/id: /);
      const info = await jsm.streams.info('TEST', { subjects_filter: 'test.invalid' });
      expect(info.state.subjects?.['test.invalid']).toBeUndefined();
    });

    it('says clearly when an event is not stored: no stream for the subject, or no broker', async () => {
      await expect(
        new Publisher(nats, { attempts: 2, ackTimeoutMs: 500 }).publish(
          { subject: 'nostream.x', schema: Job },
          { id: 'a' },
          { msgId: 'n1' },
        ),
      ).rejects.toBeInstanceOf(EventNotStoredError);
      const offline = new NatsConnectionComponent({
        servers: [`nats://127.0.0.1:${await freePort()}`],
        clientName: 'offline',
        backoff: fast,
      });
      await offline.start(context());
      try {
        const attempt = new Publisher(offline, { attempts: 2 }).publish(jobCreated, { id: 'a' }, { msgId: 'n2' });
        await expect(attempt).rejects.toThrow('event on test.job was not stored: not connected to NATS (after 2 attempts)');
      } finally {
        await offline.stop(deadlineIn(1_000));
      }
    });
  });

  describe('ConsumerRunner', () => {
    it('redelivers a failing message with growing delays and acks it once it succeeds', async () => {
      const spec = await freshConsumer({ maxDeliver: 5 });
      const deliveries: number[] = [];
      let successes = 0;
      const r = runner(spec, async (_job, ctx) => {
        deliveries.push(Date.now());
        if (ctx.deliveryCount <= 2) throw new Error(`attempt ${ctx.deliveryCount} fails`);
        successes += 1;
      });
      await r.start(context());
      try {
        await new Publisher(nats).publish({ subject: spec.filterSubject, schema: Job }, { id: 'retry' }, { msgId: `${spec.durable}-1` });
        await waitFor(() => successes === 1, { description: 'the third delivery to succeed' });
        await waitFor(async () => (await jsm.consumers.info('TEST', spec.durable)).num_ack_pending === 0, { description: 'ack' });
        expect(deliveries).toHaveLength(3);
        const [a, b, c] = deliveries as [number, number, number];
        expect(b - a).toBeGreaterThanOrEqual(fast.initialMs - 10); // nak(50 ms)
        expect(c - b).toBeGreaterThanOrEqual(fast.secondMs - 10); // nak(100 ms)
        const info = await jsm.consumers.info('TEST', spec.durable);
        expect(info.num_redelivered).toBe(0);
        expect(info.delivered.stream_seq).toBe(info.ack_floor.stream_seq);
      } finally {
        await r.stop(deadlineIn(5_000));
      }
    });

    it('dead-letters garbage, schema violations, permanent errors and exhausted messages with their headers, without holding up the rest', async () => {
      const spec = await freshConsumer({ maxDeliver: 3 });
      const handled: string[] = [];
      const r = runner(
        spec,
        async (job) => {
          if (job.id === 'permanent') throw new PermanentError('cannot ever work');
          if (job.id === 'always') throw new Error('still broken');
          handled.push(job.id);
        },
        4,
      );
      const nc = await nats.whenConnected();
      const { jetstream } = await import('@nats-io/jetstream');
      const js = jetstream(nc);
      const subject = spec.filterSubject;
      await js.publish(subject, new Uint8Array([0xff, 0xfe, 0x00]), { msgID: `${subject}-garbage` });
      await js.publish(subject, JSON.stringify({ id: 42 }), { msgID: `${subject}-schema` });
      await js.publish(subject, JSON.stringify({ id: 'always' }), { msgID: `${subject}-always` });
      await js.publish(subject, JSON.stringify({ id: 'permanent' }), { msgID: `${subject}-permanent` });
      for (let i = 0; i < 20; i++) await js.publish(subject, JSON.stringify({ id: `ok-${i}` }), { msgID: `${subject}-ok-${i}` });
      await r.start(context());
      try {
        await waitFor(() => handled.length === 20, { description: 'all good messages handled' });
        const dlqSubject = `dlq.${subject}`;
        await waitFor(
          async () => (await jsm.streams.info('TEST_DLQ', { subjects_filter: dlqSubject })).state.subjects?.[dlqSubject] === 4,
          {
            description: 'four dead letters',
          },
        );
        const dead = [];
        for (let seq = 1; ; seq++) {
          const m = await jsm.streams.getMessage('TEST_DLQ', { seq }).catch(() => undefined);
          if (!m) break;
          if (m.subject === dlqSubject) dead.push(m);
        }
        const errors = dead.map((m) => m.header.get(DeadLetterHeaders.error));
        expect(errors).toEqual(
          expect.arrayContaining([
            expect.stringMatching(/^schema violation: body is not UTF-8 JSON/),
            expect.stringMatching(/^schema violation: \/id: /),
            'exhausted 3 deliveries: still broken',
            'permanent: cannot ever work',
          ]),
        );
        const always = dead.find((m) => m.header.get(DeadLetterHeaders.error)?.startsWith('exhausted'));
        expect(always?.header.get(DeadLetterHeaders.originalSubject)).toBe(subject);
        expect(always?.header.get(DeadLetterHeaders.originalStream)).toBe('TEST');
        expect(Number(always?.header.get(DeadLetterHeaders.originalSequence))).toBeGreaterThan(0);
        expect(always?.header.get(DeadLetterHeaders.deliveryCount)).toBe('3');
        expect(always?.header.get(DeadLetterHeaders.originalMsgId)).toBe(`${subject}-always`);
        expect(always?.string()).toBe('{"id":"always"}');
        await waitFor(async () => (await jsm.consumers.info('TEST', spec.durable)).num_ack_pending === 0, {
          description: 'nothing left pending',
        });
        expect(new Set(handled).size).toBe(20);
        // terminated, not left to time out and be redelivered: the one exhausted message
        // was delivered exactly maxDeliver times and the others once
        const info = await jsm.consumers.info('TEST', spec.durable);
        expect(info.num_redelivered).toBe(0);
        expect(info.delivered.consumer_seq).toBe(24 + 2);
      } finally {
        await r.stop(deadlineIn(5_000));
      }
    });

    it('a gate decides before dead-lettering: its nak on the last delivery dead-letters nothing, a handler failure does', async () => {
      const gated = await freshConsumer({ maxDeliver: 2, ackWaitMs: 2_000 });
      const plain = await freshConsumer({ maxDeliver: 2, ackWaitMs: 2_000 });
      const deliveries = new Map<string, number>();
      const count = (subject: string) => deliveries.set(subject, (deliveries.get(subject) ?? 0) + 1);
      // e.g. versionSplit when it cannot tell whose a message is: hand it back, never dead-letter it
      const gate = new ConsumerRunner({
        connection: nats,
        consumer: gated,
        event: { subject: gated.filterSubject, schema: Job },
        handler: async () => undefined,
        retryBackoff: fast,
        deadLetterPrefix: 'dlq.',
        gate: () => async (delivery) => {
          count(delivery.subject);
          return { action: 'nak', delayMs: 10, error: new Error('whose is it?') };
        },
      });
      const failing = runner(plain, async () => {
        count(plain.filterSubject);
        throw new Error('still broken');
      });
      const js = jetstream(await nats.whenConnected());
      await js.publish(gated.filterSubject, JSON.stringify({ id: 'gated' }));
      await js.publish(plain.filterSubject, JSON.stringify({ id: 'plain' }));
      await gate.start(context());
      await failing.start(context());
      const letters = (subject: string) =>
        jsm.streams.info('TEST_DLQ', { subjects_filter: `dlq.${subject}` }).then((i) => i.state.subjects?.[`dlq.${subject}`] ?? 0);
      try {
        await waitFor(async () => (await letters(plain.filterSubject)) === 1, { description: "the handler's failure dead-lettered" });
        await waitFor(() => deliveries.get(gated.filterSubject) === 2, { description: 'the gated message delivered max_deliver times' });
        // Past max_deliver the server delivers it no more: settled, and still not dead-lettered here.
        await waitFor(async () => (await jsm.consumers.info('TEST', gated.durable)).num_ack_pending === 0, {
          description: 'the gated message given up by the server',
        });
      } finally {
        await gate.stop(deadlineIn(2_000));
        await failing.stop(deadlineIn(2_000));
      }
      expect(await letters(gated.filterSubject)).toBe(0);
      expect(deliveries.get(plain.filterSubject)).toBe(2);
    });

    it('aborts a handler at its per-message deadline and has the message redelivered', async () => {
      const spec = await freshConsumer({ maxDeliver: 5, ackWaitMs: 30_000 });
      const attempts: number[] = [];
      const r = new ConsumerRunner({
        connection: nats,
        consumer: spec,
        event: { subject: spec.filterSubject, schema: Job },
        handlerTimeoutMs: 300,
        retryBackoff: fast,
        handler: async (_job, ctx) => {
          attempts.push(ctx.deliveryCount);
          if (ctx.deliveryCount === 1) {
            // never finishes by itself: only the deadline ends it
            await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
          }
        },
      });
      await r.start(context());
      try {
        await new Publisher(nats).publish(
          { subject: spec.filterSubject, schema: Job },
          { id: 'stuck' },
          { msgId: `${spec.durable}-stuck` },
        );
        // With a 30 s ack_wait, only the deadline's nak explains a prompt second delivery.
        await waitFor(() => attempts.length === 2, { description: 'a second delivery after the deadline', timeoutMs: 10_000 });
        await waitFor(async () => (await jsm.consumers.info('TEST', spec.durable)).num_ack_pending === 0, { description: 'acked' });
        expect(attempts).toEqual([1, 2]);
      } finally {
        await r.stop(deadlineIn(5_000));
      }
    });

    it('on a stop shorter than the work, naks what cannot finish so it is redelivered at once', async () => {
      const spec = await freshConsumer({ maxDeliver: 5, ackWaitMs: 30_000 });
      const first = new ConsumerRunner({
        connection: nats,
        consumer: spec,
        event: { subject: spec.filterSubject, schema: Job },
        nakMarginMs: 300,
        handler: async () => {
          await new Promise((resolve) => setTimeout(resolve, 20_000).unref());
        },
      });
      await first.start(context());
      await new Publisher(nats).publish({ subject: spec.filterSubject, schema: Job }, { id: 'slow' }, { msgId: `${spec.durable}-slow` });
      await waitFor(async () => (await jsm.consumers.info('TEST', spec.durable)).num_ack_pending === 1, { description: 'in flight' });
      const started = Date.now();
      await first.stop(deadlineIn(1_500));
      expect(Date.now() - started).toBeLessThan(5_000); // the stop respected its deadline
      const seen: number[] = [];
      const second = runner(spec, async (_job, ctx) => {
        seen.push(ctx.deliveryCount);
      });
      await second.start(context());
      try {
        // ack_wait is 30 s: a redelivery within 10 s means the first runner nakked it
        await waitFor(() => seen.length === 1, { description: 'prompt redelivery to the next runner', timeoutMs: 10_000 });
        expect(seen).toEqual([2]);
      } finally {
        await second.stop(deadlineIn(5_000));
      }
    });

    it('recreates its consumer when it is deleted behind its back, and keeps consuming', async () => {
      const spec = await freshConsumer();
      const seen: string[] = [];
      const r = runner(spec, async (job) => {
        seen.push(job.id);
      });
      await r.start(context());
      const publisher = new Publisher(nats);
      const event = { subject: spec.filterSubject, schema: Job };
      try {
        await publisher.publish(event, { id: 'before' }, { msgId: `${spec.durable}-before` });
        await waitFor(() => seen.includes('before'), { description: 'first message' });
        await jsm.consumers.delete('TEST', spec.durable);
        await publisher.publish(event, { id: 'after' }, { msgId: `${spec.durable}-after` });
        await waitFor(() => seen.includes('after'), { description: 'a message after the consumer was recreated', timeoutMs: 30_000 });
        expect((await jsm.consumers.info('TEST', spec.durable)).config.filter_subject).toBe(spec.filterSubject);
      } finally {
        await r.stop(deadlineIn(5_000));
      }
    });

    it('stops under load with nothing left unacked, and a new runner continues exactly where it stopped', async () => {
      const spec = await freshConsumer({ maxDeliver: 5, ackWaitMs: 30_000 });
      const seen: string[] = [];
      const handler: MessageHandler<{ id: string }> = async (job) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen.push(job.id);
      };
      const publisher = new Publisher(nats);
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          publisher.publish({ subject: spec.filterSubject, schema: Job }, { id: `m${i}` }, { msgId: `${spec.durable}-${i}` }),
        ),
      );
      const registry = new Registry();
      const first = runner(spec, handler, 8, messagingMetrics(registry));
      await first.start(context());
      await waitFor(() => seen.length >= 60, { description: 'some progress' });
      await first.stop(deadlineIn(10_000));
      const atStop = seen.length;
      const text = await registry.metrics();
      expect(text).toContain(
        `messaging_messages_consumed_total{subject="${spec.filterSubject}",consumer="${spec.durable}",outcome="acked"} ${atStop}`,
      );
      expect(text).toMatch(new RegExp(`messaging_consumer_pending_messages\\{consumer="${spec.durable}"\\} \\d+`));
      expect(text).toContain(`messaging_messages_in_flight{consumer="${spec.durable}"} 0`);
      // Whatever the last pull delivered after the stop began was nakked, i.e. released for
      // immediate redelivery: with a 30 s ack_wait, a stranded message would make the second
      // runner below miss its 20 s deadline.
      const info = await jsm.consumers.info('TEST', spec.durable);
      expect(info.num_ack_pending).toBeLessThanOrEqual(8);
      expect(atStop).toBeLessThan(300);

      const second = runner(spec, handler, 8);
      await second.start(context());
      try {
        await waitFor(() => seen.length >= 300, { description: 'the rest processed', timeoutMs: 20_000 });
        await waitFor(async () => (await jsm.consumers.info('TEST', spec.durable)).num_pending === 0, { description: 'nothing pending' });
        expect(seen).toHaveLength(300);
        expect(new Set(seen).size).toBe(300);
      } finally {
        await second.stop(deadlineIn(5_000));
      }
    });

    it('refuses a concurrency that is not a whole number of at least 1, naming the consumer', () => {
      const spec = { stream: 'TEST', durable: 'never-started', filterSubject: 'test.never' };
      for (const bad of [0, -1, 2.5]) expect(() => runner(spec, async () => undefined, bad)).toThrow(/never-started: concurrency must be/);
    });

    it('pulls a busy backlog in batches (half its slots at a time), not one pull request per finished message', async () => {
      const spec = await freshConsumer({ ackWaitMs: 30_000 });
      const total = 240;
      const publisher = new Publisher(nats);
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          publisher.publish({ subject: spec.filterSubject, schema: Job }, { id: `b${i}` }, { msgId: `${spec.durable}-${i}` }),
        ),
      );
      // Every fetch is one request on the consumer's MSG.NEXT subject: count them from the side.
      const nc = await nats.whenConnected();
      let pulls = 0;
      const spy = nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.TEST.${spec.durable}`, {
        callback: () => {
          pulls++;
        },
      });
      await nc.flush();
      const seen = new Set<string>();
      // Staggered handler times, so slots free up one at a time as under real load.
      const r = runner(spec, async (job) => {
        await new Promise((resolve) => setTimeout(resolve, (Number(job.id.slice(1)) % 4) * 2));
        seen.add(job.id);
      });
      await r.start(context());
      try {
        await waitFor(() => seen.size === total, { description: `all ${total} handled` });
      } finally {
        await r.stop(deadlineIn(5_000));
        spy.unsubscribe();
      }
      // 8 slots, refilled when 4 are free: about total / 4 pulls (plus the pulls that came back
      // empty at the end). One pull per finished message would be close to `total`.
      expect(pulls).toBeLessThanOrEqual(total / 3);
    });
  });
});
