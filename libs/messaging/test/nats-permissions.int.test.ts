import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstream } from '@nats-io/jetstream';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor } from '@tandem/testing';
import pino, { type Logger } from 'pino';
import Type from 'typebox';
import { ConsumerRunner } from '../src/consumer-runner.component';
import { EventNotStoredError } from '../src/errors';
import type { EventType } from '../src/event-codec';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { Publisher } from '../src/publisher';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

/**
 * How the messaging parts behave when the server refuses something: a clear error naming
 * the operation and subject, at once — never a hang, never a silent retry loop. A small
 * config of its own (Tandem's real one is tested in e2e/test/security/nats-accounts.int.test.ts).
 */
const CONFIG = `
accounts {
  APP {
    jetstream: enabled
    users: [
      { user: admin, password: padmin }
      { user: writer, password: pwriter, permissions: {
          publish: { allow: ["$JS.API.INFO", "jobs.allowed"] }
          subscribe: { allow: ["_INBOX.writer.>"] } } }
      { user: noinfo, password: pnoinfo, permissions: {
          publish: { allow: ["$JS.API.INFO"] }
          subscribe: { allow: ["_INBOX.noinfo.>"] } } }
      { user: nopull, password: pnopull, permissions: {
          publish: { allow: ["$JS.API.INFO", "$JS.API.CONSUMER.INFO.JOBS.worker"] }
          subscribe: { allow: ["_INBOX.nopull.>"] } } }
      { user: noack, password: pnoack, permissions: {
          publish: { allow: ["$JS.API.INFO", "$JS.API.CONSUMER.INFO.JOBS.worker", "$JS.API.CONSUMER.MSG.NEXT.JOBS.worker"] }
          subscribe: { allow: ["_INBOX.noack.>"] } } }
    ]
  }
}
`;

const Job = Type.Object({ n: Type.Integer() });
const allowed: EventType<typeof Job> = { subject: 'jobs.allowed', schema: Job };
const denied: EventType<typeof Job> = { subject: 'jobs.denied', schema: Job };
const worker: ConsumerSpec = { stream: 'JOBS', durable: 'worker', filterSubject: 'jobs.>', ackWaitMs: 30_000 };
const fast = { initialMs: 100, secondMs: 200, factor: 1.5, maxMs: 500, jitter: 0.2 };

function capture(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, destination), lines };
}

describe('messaging under NATS permissions (real nats-server with users)', () => {
  let dir: string;
  let server: NatsServer;
  const running: Array<{ stop: (d: ReturnType<typeof deadlineIn>) => Promise<void> }> = [];
  const controller = new AbortController();

  const context = (logger: Logger = pino({ level: 'silent' })): StartContext => ({
    signal: controller.signal,
    logger,
    fail: () => undefined,
  });
  /** Connects as `user`; its inbox prefix is `_INBOX.<user>` unless given (`null`: nats.js's default `_INBOX`). */
  async function connectAs(user: string, inboxPrefix: string | null = `_INBOX.${user}`, logger?: Logger) {
    const nats = new NatsConnectionComponent({
      servers: [server.url],
      clientName: `test-${user}`,
      user,
      pass: `p${user}`,
      ...(inboxPrefix === null ? {} : { inboxPrefix }),
      backoff: fast,
    });
    running.push(nats);
    await nats.start(context(logger));
    return nats;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-perm-'));
    await writeFile(join(dir, 'nats.conf'), CONFIG);
    server = await NatsServer.start({ configFile: join(dir, 'nats.conf') });
    const admin = await connectAs('admin', null);
    await ensureTopology(
      await admin.whenConnected(),
      { streams: [{ name: 'JOBS', subjects: ['jobs.>'] }], consumers: [worker] },
      { replicas: 1 },
    );
  });
  afterEach(async () => {
    for (const component of running.splice(1).reverse()) await component.stop(deadlineIn(2_000));
  });
  afterAll(async () => {
    controller.abort();
    for (const component of running.splice(0)) await component.stop(deadlineIn(2_000));
    await server?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('Publisher: an allowed subject is stored; a forbidden one fails at once naming the subject, without retrying', async () => {
    const publisher = new Publisher(
      await (async () => {
        const nats = await connectAs('writer');
        await nats.whenConnected();
        return nats;
      })(),
      { attempts: 5, backoff: { initialMs: 2_000, secondMs: 2_000, factor: 1, maxMs: 2_000, jitter: 0 } },
    );
    await expect(publisher.publish(allowed, { n: 1 }, { msgId: 'a-1' })).resolves.toMatchObject({ stream: 'JOBS', duplicate: false });

    const started = Date.now();
    const attempt = publisher.publish(denied, { n: 2 }, { msgId: 'd-1' });
    await expect(attempt).rejects.toBeInstanceOf(EventNotStoredError);
    await expect(attempt).rejects.toThrow(
      'event on jobs.denied was not stored: the NATS user may not publish to "jobs.denied" (Permissions Violation for Publish to "jobs.denied")',
    );
    expect(Date.now() - started).toBeLessThan(1_500); // one refused attempt, not five with 2 s between
  });

  it('a reply inbox the user may not subscribe to fails every request at once, naming the inbox', async () => {
    const nats = await connectAs('writer', null); // default _INBOX, but writer may only use _INBOX.writer.>
    await nats.whenConnected();
    const started = Date.now();
    await expect(new Publisher(nats, { attempts: 1 }).publish(allowed, { n: 3 }, { msgId: 'a-3' })).rejects.toThrow(
      /the NATS user may not subscribe to "_INBOX\.[A-Za-z0-9]+\.\*"/,
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    await waitFor(() => /last permissions violation: subscription to "_INBOX\./.test(nats.health().detail ?? ''), {
      description: 'the connection health to name the refused subscription',
    });
    expect(nats.health().ready).toBe(true); // one refusal does not take the connection down
  });

  it('ConsumerRunner: a user that may not read the consumer reports the refused subject in its health, and handles nothing', async () => {
    const nats = await connectAs('noinfo');
    const handled: number[] = [];
    const runner = new ConsumerRunner({
      connection: nats,
      consumer: worker,
      event: allowed,
      handler: async (job) => void handled.push(job.n),
    });
    running.push(runner);
    await runner.start(context());
    await waitFor(
      () => /JOBS\/worker: the NATS user may not publish to "\$JS\.API\.CONSUMER\.INFO\.JOBS\.worker"/.test(runner.health().detail ?? ''),
      {
        description: `the runner to name the refused subject (detail: ${runner.health().detail})`,
      },
    );
    expect(runner.health().ready).toBe(false);
    expect(handled).toEqual([]);
  });

  it('ConsumerRunner: a refused pull request (it gets no answer) is named too, not left as "heartbeats missed"', async () => {
    const nats = await connectAs('nopull');
    const runner = new ConsumerRunner({ connection: nats, consumer: worker, event: allowed, handler: async () => undefined });
    running.push(runner);
    await runner.start(context());
    await waitFor(() => /may not publish to "\$JS\.API\.CONSUMER\.MSG\.NEXT\.JOBS\.worker"/.test(runner.health().detail ?? ''), {
      description: `the runner to name the refused pull (detail: ${runner.health().detail})`,
      timeoutMs: 10_000,
    });
  });

  it('ConsumerRunner: a refused ack is logged as an error naming the ack subject (the message comes back after ack_wait)', async () => {
    const { logger, lines } = capture();
    const nats = await connectAs('noack', '_INBOX.noack', logger);
    const handled: number[] = [];
    const runner = new ConsumerRunner({
      connection: nats,
      consumer: worker,
      event: allowed,
      handler: async (job) => void handled.push(job.n),
    });
    running.push(runner);
    await runner.start(context(logger));
    await waitFor(
      () => lines.some((l) => /^ack refused by NATS: the NATS user may not publish to "\$JS\.ACK\.JOBS\.worker\./.test(String(l['msg']))),
      {
        description: 'an error line for the refused ack',
      },
    );
    expect(handled).toContain(1);
    expect(lines.find((l) => String(l['msg']).startsWith('NATS permissions violation'))).toMatchObject({ level: 50, operation: 'publish' });
  });

  it('NatsConnectionComponent: a wrong password or no credentials at all is refused, reported by name, and never ready', async () => {
    const { logger, lines } = capture();
    const wrong = new NatsConnectionComponent({ servers: [server.url], clientName: 'wrong', user: 'writer', pass: 'nope', backoff: fast });
    const none = new NatsConnectionComponent({ servers: [server.url], clientName: 'anonymous', backoff: fast });
    running.push(wrong, none);
    await wrong.start(context(logger));
    await none.start(context(logger));
    await waitFor(
      () => /Authorization Violation: the server did not accept the password of user "writer"/.test(wrong.health().detail ?? ''),
      {
        description: `wrong password named (detail: ${wrong.health().detail})`,
      },
    );
    await waitFor(() => /Authorization Violation: the server requires credentials and none were given/.test(none.health().detail ?? ''), {
      description: `missing credentials named (detail: ${none.health().detail})`,
    });
    expect([wrong.health().ready, none.health().ready]).toEqual([false, false]);
    expect(
      lines.filter((l) => l['level'] === 50 && String(l['msg']).startsWith('NATS refused the connection')).length,
    ).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(lines)).not.toContain('nope'); // the password never reaches a log line
  });

  it('only the messages the allowed user published are in the stream (the refused ones never arrived)', async () => {
    const admin = running[0] as NatsConnectionComponent;
    const info = await jetstream(await admin.whenConnected())
      .streams.get('JOBS')
      .then((s) => s.info());
    expect(info.state.subjects ?? {}).not.toHaveProperty('jobs.denied');
    expect(info.state.messages).toBeGreaterThanOrEqual(1);
  });
});
