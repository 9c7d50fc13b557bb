import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor } from '@tandem/testing';
import pino from 'pino';
import Type from 'typebox';
import { ConsumerRunner, DeadLetterHeaders, deadLetterBody } from '../src/consumer-runner.component';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

const Job = Type.Object({ id: Type.String({ maxLength: 64 }) }, { additionalProperties: false });
const fast = { initialMs: 50, secondMs: 100, factor: 1.5, maxMs: 500, jitter: 0 };

function context(): StartContext {
  return { signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined };
}

describe('dead letters of messages near max_payload', () => {
  it('keeps the body when it fits beside the headers, and leaves it out when it does not', () => {
    const small = new Uint8Array(10);
    expect(deadLetterBody(small, 1024 * 1024)).toEqual({ body: small, omitted: false });
    expect(deadLetterBody(small, undefined)).toEqual({ body: small, omitted: false });
    expect(deadLetterBody(new Uint8Array(1024 * 1024 - 100), 1024 * 1024)).toEqual({ body: new Uint8Array(0), omitted: true });
  });

  it('a poison message just under max_payload is dead-lettered at once, without its body but naming where it is (real nats-server)', async () => {
    const server = await NatsServer.start();
    const nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'oversized', backoff: fast });
    await nats.start(context());
    const consumer: ConsumerSpec = { stream: 'BIG', durable: 'big', filterSubject: 'big.job', maxDeliver: 3 };
    let handled = 0;
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 'big.job', schema: Job },
      retryBackoff: fast,
      handler: async () => {
        handled += 1;
      },
    });
    try {
      const nc = await nats.whenConnected();
      await ensureTopology(
        nc,
        {
          streams: [
            { name: 'BIG', subjects: ['big.>'] },
            { name: 'BIG_DLQ', subjects: ['dlq.big.>'] },
          ],
          consumers: [consumer],
        },
        { replicas: 1 },
      );
      const maxPayload = nc.info?.max_payload ?? 0;
      const huge = new TextEncoder().encode(JSON.stringify({ id: 'x'.repeat(maxPayload - 64) })); // invalid: id too long
      const js = jetstream(nc);
      const seq = (await js.publish('big.job', huge)).seq;
      await js.publish('big.job', JSON.stringify({ id: 'after' })); // the stream keeps flowing behind it
      await runner.start(context());

      const jsm = await jetstreamManager(nc);
      const dead = await waitFor(() => jsm.streams.getMessage('BIG_DLQ', { last_by_subj: 'dlq.big.job' }).catch(() => undefined), {
        description: 'the dead letter',
        timeoutMs: 10_000,
      });
      expect(dead?.data.length).toBe(0);
      expect(dead?.header.get(DeadLetterHeaders.bodyOmitted)).toBe(String(huge.length));
      expect(dead?.header.get(DeadLetterHeaders.originalSequence)).toBe(String(seq));
      expect(dead?.header.get(DeadLetterHeaders.originalStream)).toBe('BIG');
      expect(dead?.header.get(DeadLetterHeaders.deliveryCount)).toBe('1');
      expect(dead?.header.get(DeadLetterHeaders.error)).toMatch(/^schema violation: \/id/);
      // the original is still where the headers say
      expect((await jsm.streams.getMessage('BIG', { seq }))?.data.length).toBe(huge.length);
      await waitFor(async () => handled === 1 && (await jsm.consumers.info('BIG', 'big')).num_ack_pending === 0, {
        description: 'the next message handled and nothing left unacknowledged',
        timeoutMs: 10_000,
      });
    } finally {
      await runner.stop(deadlineIn(5_000));
      await nats.stop(deadlineIn(5_000));
      await server.cleanup();
    }
  });
});
