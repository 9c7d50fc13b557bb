import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer } from '@tandem/testing';
import pino from 'pino';
import { DeadLetterHeaders, type MessageContext } from '../src/consumer-runner.component';
import { deadLetterFromAdvisory } from '../src/max-deliveries';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { ensureTopology } from '../src/topology';

/**
 * The handler behind the `dead-letters` consumer, called directly with advisories as the
 * server writes them (the whole path, advisory stream and consumer included, runs in
 * e2e/test/reliability/max-deliveries.int.test.ts).
 */
describe('deadLetterFromAdvisory (real nats-server)', () => {
  let server: NatsServer;
  let nats: NatsConnectionComponent;
  let jsm: JetStreamManager;
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  const context = (): MessageContext =>
    ({ subject: 'adv', streamSequence: 1, deliveryCount: 1, signal: new AbortController().signal, logger }) as MessageContext;
  const startContext = (): StartContext => ({
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    fail: () => undefined,
  });
  const advisory = (seq: number) => ({
    type: 'io.nats.jetstream.advisory.v1.max_deliver',
    id: 'x',
    timestamp: new Date().toISOString(),
    stream: 'WORK',
    consumer: 'worker',
    stream_seq: seq,
    deliveries: 3,
  });
  const letters = async () => (await jsm.streams.info('WORK_DLQ')).state.messages;

  beforeAll(async () => {
    server = await NatsServer.start();
    nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'advisories' });
    await nats.start(startContext());
    const nc = await nats.whenConnected();
    // A de-duplication window of 100 ms: a second dead letter is then up to the handler's look-up.
    await ensureTopology(
      nc,
      {
        streams: [
          { name: 'WORK', subjects: ['work.>'] },
          { name: 'WORK_DLQ', subjects: ['dlq.work.>'], duplicateWindowMs: 100 },
        ],
      },
      { replicas: 1 },
    );
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nats?.stop(deadlineIn(2_000));
    await server?.cleanup();
  });

  it('writes the named message with the dead-letter headers, once, even past the de-duplication window', async () => {
    const js = jetstream(await nats.whenConnected());
    const seq = (await js.publish('work.job.1', '{"id":1}', { msgID: 'job-1' })).seq;
    const handle = deadLetterFromAdvisory(nats, { deadLetterStream: 'WORK_DLQ' });
    await handle(advisory(seq), context());
    const letter = await jsm.streams.getMessage('WORK_DLQ', { last_by_subj: 'dlq.work.job.1' });
    expect(new TextDecoder().decode(letter?.data)).toBe('{"id":1}');
    expect(
      Object.fromEntries(
        [
          DeadLetterHeaders.originalSubject,
          DeadLetterHeaders.originalStream,
          DeadLetterHeaders.originalSequence,
          DeadLetterHeaders.originalMsgId,
          DeadLetterHeaders.deliveryCount,
          DeadLetterHeaders.consumer,
        ].map((h) => [h, letter?.header.get(h)]),
      ),
    ).toEqual({
      [DeadLetterHeaders.originalSubject]: 'work.job.1',
      [DeadLetterHeaders.originalStream]: 'WORK',
      [DeadLetterHeaders.originalSequence]: String(seq),
      [DeadLetterHeaders.originalMsgId]: 'job-1',
      [DeadLetterHeaders.deliveryCount]: '3',
      [DeadLetterHeaders.consumer]: 'worker',
    });
    expect(letter?.header.get(DeadLetterHeaders.error)).toMatch(/^reached max_deliver \(3 deliveries\) without being settled/);

    // The same advisory again (a redelivery of it) long after the window: no second dead letter.
    await new Promise((r) => setTimeout(r, 300));
    await handle(advisory(seq), context());
    expect(await letters()).toBe(1);
    expect(lines.some((l) => l.msg === 'message reached max_deliver but is dead-lettered already')).toBe(true);
  });

  it('acknowledges (returns) a malformed advisory and one whose message is gone, logging each at error level; writes nothing', async () => {
    const before = await letters();
    const handle = deadLetterFromAdvisory(nats, { deadLetterStream: 'WORK_DLQ' });
    await handle({ stream: 'WORK', stream_seq: 'seven' }, context());
    await handle(advisory(9_999), context());
    expect(await letters()).toBe(before);
    const errors = lines.filter((l) => l.level >= 50).map((l) => l.msg);
    expect(errors).toEqual(
      expect.arrayContaining([
        'malformed MAX_DELIVERIES advisory ignored',
        'message reached max_deliver but its stream no longer holds it: nothing to dead-letter',
      ]),
    );
  });

  it('throws while the dead letter cannot be written, so the runner tries again', async () => {
    const js = jetstream(await nats.whenConnected());
    const seq = (await js.publish('work.job.2', '{"id":2}')).seq;
    // Dead letters go where no stream listens: the publish gets no PubAck.
    const handle = deadLetterFromAdvisory(nats, { deadLetterStream: 'WORK_DLQ', deadLetterPrefix: 'nowhere.' });
    await expect(handle(advisory(seq), context())).rejects.toThrow();
    const written = deadLetterFromAdvisory(nats, { deadLetterStream: 'WORK_DLQ' });
    await written(advisory(seq), context());
    expect(
      (await jsm.streams.getMessage('WORK_DLQ', { last_by_subj: 'dlq.work.job.2' }))?.header.get(DeadLetterHeaders.originalSequence),
    ).toBe(String(seq));
  });
});
