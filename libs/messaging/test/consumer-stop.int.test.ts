import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor } from '@tandem/testing';
import pino from 'pino';
import Type from 'typebox';
import { ConsumerRunner } from '../src/consumer-runner.component';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

const Job = Type.Object({ id: Type.String() });
const fast = { initialMs: 50, secondMs: 100, factor: 1.5, maxMs: 500, jitter: 0 };

function context(): StartContext {
  return { signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined };
}

describe('ConsumerRunner stopping (real nats-server)', () => {
  it('a message that reaches its still-open pull after stop-intake is handed back once, and the next runner handles it', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'stopping', backoff: fast });
    await nats.start(context());
    // A pull for 8 with maxDeliver 5: an immediate nak would come straight back into the
    // same pull up to 8 times — past maxDeliver, after which the server drops the message.
    const consumer: ConsumerSpec = { stream: 'STOP', durable: 'stop', filterSubject: 'stop.job', maxDeliver: 5 };
    const handled: Array<{ runner: string; deliveryCount: number }> = [];
    const runner = (name: string) =>
      new ConsumerRunner({
        name,
        connection: nats,
        consumer,
        event: { subject: 'stop.job', schema: Job },
        concurrency: 8,
        retryBackoff: fast,
        handler: async (_job, ctx) => {
          handled.push({ runner: name, deliveryCount: ctx.deliveryCount });
        },
      });
    const first = runner('first');
    const second = runner('second');
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(nc, { streams: [{ name: 'STOP', subjects: ['stop.>'] }], consumers: [consumer] }, { replicas: 1 });
      const jsm = await jetstreamManager(nc);
      await first.start(context());
      await waitFor(async () => first.health().ready && (await jsm.consumers.info('STOP', 'stop')).num_waiting > 0, {
        description: 'the first runner waiting in a pull',
      });
      first.quiesce(); // stop-intake: its open pull stays open until it expires
      await jetstream(nc).publish('stop.job', JSON.stringify({ id: 'late' }));
      await first.stop(deadlineIn(5_000));
      expect(handled).toEqual([]);

      await second.start(context());
      await waitFor(() => handled.length === 1, { description: 'the late message handled by the next runner', timeoutMs: 10_000 });
      expect(handled[0]?.runner).toBe('second');
      expect(handled[0]?.deliveryCount).toBeLessThan(5);
      await waitFor(async () => (await jsm.consumers.info('STOP', 'stop')).num_ack_pending === 0, { description: 'acked' });
    } finally {
      await second.stop(deadlineIn(5_000));
      await nats.stop(deadlineIn(5_000));
      await server.cleanup();
    }
  });

  it('stops at once while the broker is down, instead of waiting out its deadline on a parked pull', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'stop-offline', backoff: fast });
    await nats.start(context());
    const consumer: ConsumerSpec = { stream: 'OFF', durable: 'off', filterSubject: 'off.job' };
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 'off.job', schema: Job },
      handler: async () => undefined,
    });
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(nc, { streams: [{ name: 'OFF', subjects: ['off.>'] }], consumers: [consumer] }, { replicas: 1 });
      await runner.start(context());
      const jsm = await jetstreamManager(nc);
      await waitFor(async () => runner.health().ready && (await jsm.consumers.info('OFF', 'off')).num_waiting > 0, {
        description: 'the runner waiting in a pull',
      });
      await server.kill();
      await waitFor(() => !nats.health().ready, { description: 'the connection to notice' });
      const started = Date.now();
      await runner.stop(deadlineIn(20_000));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(runner.holding()).toBeUndefined();
    } finally {
      await nats.stop(deadlineIn(2_000));
      await server.cleanup();
    }
  });
});
