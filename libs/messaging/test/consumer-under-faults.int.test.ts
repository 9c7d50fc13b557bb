import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor, waitForPortClosed } from '@tandem/testing';
import pino from 'pino';
import Type from 'typebox';
import { ConsumerRunner } from '../src/consumer-runner.component';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

const Job = Type.Object({ id: Type.String() });
const fast = { initialMs: 100, secondMs: 200, factor: 1.5, maxMs: 1_000, jitter: 0.2 };

function context(): StartContext {
  return { signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined };
}

describe('ConsumerRunner under faults (real nats-server)', () => {
  it('processes 10 000 messages with concurrency 32 while the server is SIGKILLed and restarted mid-way: none lost', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'load', backoff: fast });
    await nats.start(context());
    const consumer: ConsumerSpec = {
      stream: 'LOAD',
      durable: 'load',
      filterSubject: 'load.job',
      ackWaitMs: 5_000,
      maxDeliver: 20,
      maxAckPending: 1_000,
    };
    const total = 10_000;
    const seen = new Set<string>();
    let calls = 0;
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 'load.job', schema: Job },
      concurrency: 32,
      retryBackoff: fast,
      handler: async (job) => {
        calls += 1;
        seen.add(job.id); // idempotent: a redelivery adds nothing
      },
    });
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(nc, { streams: [{ name: 'LOAD', subjects: ['load.>'] }], consumers: [consumer] }, { replicas: 1 });
      const js = jetstream(nc);
      for (let start = 0; start < total; start += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, i) =>
            js.publish('load.job', JSON.stringify({ id: `j${start + i}` }), { msgID: `j${start + i}` }),
          ),
        );
      }
      await runner.start(context());
      await waitFor(() => seen.size >= 3_000, { description: '3000 processed', timeoutMs: 60_000 });

      await server.kill();
      await waitForPortClosed(server.port);
      const atKill = seen.size;
      await server.restart();

      await waitFor(() => seen.size === total, {
        description: `all ${total} processed (at kill: ${atKill})`,
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      const jsm = await jetstreamManager(await nats.whenConnected());
      await waitFor(
        async () => {
          const info = await jsm.consumers.info('LOAD', 'load');
          return info.num_pending === 0 && info.num_ack_pending === 0;
        },
        { description: 'nothing pending or unacked', timeoutMs: 30_000 },
      );
      expect(atKill).toBeLessThan(total);
      expect(seen.size).toBe(total);
      expect(calls).toBeGreaterThanOrEqual(total);
      console.log(
        `10k under restart: processed ${seen.size} unique, ${calls} handler calls (${calls - total} redeliveries), ${atKill} before the kill`,
      );
    } finally {
      await runner.stop(deadlineIn(5_000));
      await nats.stop(deadlineIn(5_000));
      await server.cleanup();
    }
  });

  it('keeps a long handler alive past ack_wait with working(): the message is delivered once', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'slow', backoff: fast });
    await nats.start(context());
    const consumer: ConsumerSpec = { stream: 'SLOW', durable: 'slow', filterSubject: 'slow.job', ackWaitMs: 1_000, maxDeliver: 5 };
    let calls = 0;
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 'slow.job', schema: Job },
      handler: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_000)); // three times ack_wait
      },
    });
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(nc, { streams: [{ name: 'SLOW', subjects: ['slow.>'] }], consumers: [consumer] }, { replicas: 1 });
      await jetstream(nc).publish('slow.job', JSON.stringify({ id: 'long' }), { msgID: 'long' });
      await runner.start(context());
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => (await jsm.consumers.info('SLOW', 'slow')).ack_floor.stream_seq === 1, {
        description: 'acked',
        timeoutMs: 20_000,
      });
      const info = await jsm.consumers.info('SLOW', 'slow');
      expect(calls).toBe(1);
      expect(info.delivered.consumer_seq).toBe(1); // never redelivered
    } finally {
      await runner.stop(deadlineIn(5_000));
      await nats.stop(deadlineIn(5_000));
      await server.cleanup();
    }
  });
});
