import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor, waitForPortClosed } from '@tandem/testing';
import pino from 'pino';
import Type from 'typebox';
import { ConsumerRunner } from '../src/consumer-runner.component';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { Publisher } from '../src/publisher';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

const Job = Type.Object({ id: Type.String() });
const fast = { initialMs: 100, secondMs: 200, factor: 1.5, maxMs: 1_000, jitter: 0.2 };
const context = (): StartContext => ({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });

/**
 * A broker outage does not burn deliveries (SPEC §4): a handler whose publish
 * fails because NATS went away is run again, in the same delivery, once NATS is back. Real
 * nats-server, SIGKILLed while the handler holds its message, restarted on its store.
 */
describe('ConsumerRunner: a broker outage is not a failed delivery', () => {
  it('runs the handler again in the same delivery once NATS is back: no nak, no redelivery', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'outage', backoff: fast });
    await nats.start(context());
    const consumer: ConsumerSpec = { stream: 'WORK', durable: 'work', filterSubject: 'work.job', ackWaitMs: 30_000, maxDeliver: 5 };
    const publisher = new Publisher(nats, { ackTimeoutMs: 1_000, attempts: 1 });
    const attempts: Array<{ deliveryCount: number; result: 'stored' | 'failed' }> = [];
    let holding: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (holding = resolve));
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 'work.job', schema: Job },
      retryBackoff: fast,
      handler: async (job, message) => {
        if (attempts.length === 0) {
          holding?.();
          await gate; // the broker dies here
        }
        try {
          await publisher.publish({ subject: 'done.*', schema: Job }, job, { subject: `done.${job.id}`, msgId: `done-${job.id}` });
          attempts.push({ deliveryCount: message.deliveryCount, result: 'stored' });
        } catch (error) {
          attempts.push({ deliveryCount: message.deliveryCount, result: 'failed' });
          throw error;
        }
      },
    });
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(
        nc,
        {
          streams: [
            { name: 'WORK', subjects: ['work.>'] },
            { name: 'DONE', subjects: ['done.>'] },
          ],
          consumers: [consumer],
        },
        { replicas: 1 },
      );
      await jetstream(nc).publish('work.job', JSON.stringify({ id: 'j1' }));
      await runner.start(context());
      await held;

      await server.kill();
      await waitForPortClosed(server.port);
      await waitFor(() => nats.connection() === undefined, { description: 'the connection to notice' });
      release(); // the publish fails: not connected
      await waitFor(() => attempts.length >= 1, { description: 'the failed attempt' });
      await server.restart();

      await waitFor(() => attempts.some((a) => a.result === 'stored'), { description: 'the handler to succeed', timeoutMs: 30_000 });
      const jsm = await jetstreamManager(await nats.whenConnected());
      await waitFor(async () => (await jsm.consumers.info('WORK', 'work')).num_ack_pending === 0, { description: 'the ack' });
      // Every attempt in delivery 1 (a slow first PubAck after the restart may add a failed one),
      // and the server delivered the message once.
      expect(attempts[0]).toEqual({ deliveryCount: 1, result: 'failed' });
      expect(attempts.at(-1)).toEqual({ deliveryCount: 1, result: 'stored' });
      expect(attempts.filter((a) => a.deliveryCount !== 1)).toEqual([]);
      const info = await jsm.consumers.info('WORK', 'work');
      expect({ delivered: info.delivered.consumer_seq, redelivered: info.num_redelivered }).toEqual({ delivered: 1, redelivered: 0 });
      expect((await jsm.streams.info('DONE')).state.messages).toBe(1);
    } finally {
      release();
      await runner.stop(deadlineIn(5_000));
      await nats.stop(deadlineIn(5_000));
      await server.cleanup();
    }
  });

  it('a stop ends the wait for NATS at once instead of holding the shutdown to its deadline', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'outage-stop', backoff: fast });
    await nats.start(context());
    const consumer: ConsumerSpec = { stream: 'WAIT', durable: 'wait', filterSubject: 'wait.job', ackWaitMs: 30_000, maxDeliver: 5 };
    const publisher = new Publisher(nats, { ackTimeoutMs: 1_000, attempts: 1 });
    let failures = 0;
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 'wait.job', schema: Job },
      retryBackoff: fast,
      handler: async (job) => {
        try {
          await publisher.publish({ subject: 'waited.*', schema: Job }, job, { subject: `waited.${job.id}`, msgId: `waited-${job.id}` });
        } catch (error) {
          failures += 1;
          throw error;
        }
      },
    });
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(nc, { streams: [{ name: 'WAIT', subjects: ['wait.>'] }], consumers: [consumer] }, { replicas: 1 });
      await jetstream(nc).publish('wait.job', JSON.stringify({ id: 'w1' }));
      await runner.start(context());
      // No stream takes waited.*: every publish finds no responders, as if JetStream were away,
      // and the handler waits for it. Then the broker goes away too.
      await waitFor(() => failures >= 1, { description: 'the handler waiting for JetStream' });
      await server.kill();
      await waitForPortClosed(server.port);
      const started = Date.now();
      runner.quiesce();
      await runner.stop(deadlineIn(10_000));
      // Without the stop signal the wait would run to the deadline less its margin (9 s).
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(runner.holding()).toBeUndefined();
    } finally {
      await runner.stop(deadlineIn(1_000));
      await nats.stop(deadlineIn(1_000));
      await server.cleanup();
    }
  });
});
