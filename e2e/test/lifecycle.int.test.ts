import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { bundleFixture, freePort, ManagedProcess, NatsServer, waitFor } from '@tandem/testing';

/**
 * The shutdown sequence, restarts and fatal failures of SPEC §5, observed from outside a
 * real process (lifecycle-fixture.ts) with a real nats-server and real signals.
 */
describe('service lifecycle (real process, real NATS, real signals)', () => {
  let fixture: string;
  let nats: NatsServer;
  let client: NatsConnection;

  beforeAll(async () => {
    fixture = await bundleFixture(join(__dirname, 'fixtures', 'lifecycle-fixture.ts'));
    nats = await NatsServer.start();
    client = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await client?.close();
    await nats?.cleanup();
  });

  async function startFixture(env: Record<string, string>) {
    const port = await freePort();
    const proc = new ManagedProcess('fixture', process.execPath, [fixture], {
      env: { PATH: process.env['PATH'] ?? '', NATS_URL: nats.url, PORT: String(port), ...env },
    });
    const url = `http://127.0.0.1:${port}`;
    const get = async (path: string) => {
      const r = await fetch(url + path, { signal: AbortSignal.timeout(20_000) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const logs = () => proc.lines.flatMap((l) => (l.startsWith('{') ? [JSON.parse(l) as Record<string, unknown>] : []));
    const steps = () =>
      logs()
        .filter((l) => l['shutdownStep'])
        .map((l) => String(l['shutdownStep']) + (l['component'] ? `:${l['component']}` : ''));
    await waitFor(async () => (await get('/readyz').catch(() => ({ status: 0 }))).status === 200, {
      description: `fixture ready\n${proc.output()}`,
      timeoutMs: 30_000,
    });
    return { proc, get, logs, steps };
  }

  async function publishWork(): Promise<number> {
    const ack = await jetstream(client).publish('fixture.work', 'job');
    return ack.seq;
  }

  async function ackFloor(): Promise<number> {
    const info = await (await jetstreamManager(client)).consumers.info('FIXTURE', 'slow');
    return info.ack_floor.stream_seq;
  }

  it('on SIGTERM: /readyz 503 at once, the in-flight request completes with 200, the in-flight message is acked, exit 0', async () => {
    const f = await startFixture({ SHUTDOWN_DELAY_MS: '1000', SLOW_REQUEST_MS: '2000', SLOW_MESSAGE_MS: '2000' });
    try {
      const seq = await publishWork();
      await f.proc.waitForLine(/"message received"/);
      const request = f.get('/slow');
      await f.proc.waitForLine(/slow request received/);

      f.proc.signal('SIGTERM');
      await f.proc.waitForLine(/"shutdownStep":"readiness-off"/);
      const during = await f.get('/readyz');
      expect(during.status).toBe(503);
      expect(during.body['status']).toBe('shutting-down');

      await expect(request).resolves.toEqual({ status: 200, body: { done: true } });
      expect({ exit: await f.proc.exited, output: f.proc.output() }).toEqual({
        exit: { code: 0, signal: null },
        output: expect.anything(),
      });
      expect(f.logs().some((l) => l['msg'] === 'message acked' && l['seq'] === seq)).toBe(true);
      expect(await ackFloor()).toBeGreaterThanOrEqual(seq);
      expect(f.steps()).toEqual(['readiness-off', 'delay', 'stop-intake', 'stop:http', 'stop:slow-consumer', 'stop:nats', 'complete']);
    } finally {
      await f.proc.stop('SIGKILL');
    }
  });

  it('exits 1 naming what was cut when the work outlasts SHUTDOWN_TIMEOUT_MS, and the message is redelivered, not lost', async () => {
    const f = await startFixture({ SHUTDOWN_TIMEOUT_MS: '1000', SLOW_REQUEST_MS: '8000', SLOW_MESSAGE_MS: '8000' });
    try {
      const seq = await publishWork();
      await f.proc.waitForLine(/"message received"/);
      const request = f.get('/slow').catch((error: Error) => error);
      await f.proc.waitForLine(/slow request received/);
      f.proc.signal('SIGTERM');
      expect((await f.proc.exited).code).toBe(1);
      const cut = f.logs().find((l) => String(l['msg']).startsWith('shutdown: deadline passed'));
      expect(cut?.['msg']).toMatch(/unfinished: http \(1 request\(s\) in flight\), slow-consumer \(message \d+ in flight\)/);
      await request;
      expect(await ackFloor()).toBeLessThan(seq); // never acked: JetStream will redeliver it
    } finally {
      await f.proc.stop('SIGKILL');
    }
  });

  it('a second SIGTERM exits 1 at once, logging what was still running', async () => {
    const f = await startFixture({ SLOW_REQUEST_MS: '15000', SHUTDOWN_TIMEOUT_MS: '30000' });
    try {
      const request = f.get('/slow').catch((error: Error) => error);
      await f.proc.waitForLine(/slow request received/);
      f.proc.signal('SIGTERM');
      await f.proc.waitForLine(/"shutdownStep":"stop","component":"http"/);
      f.proc.signal('SIGTERM');
      const exit = await f.proc.exited;
      expect(exit.code).toBe(1);
      const again = f.logs().find((l) => l['msg'] === 'received SIGTERM again, exiting now');
      expect(again?.['unfinished']).toEqual(expect.arrayContaining([{ name: 'http', holding: '1 request(s) in flight' }]));
      await request;
    } finally {
      await f.proc.stop('SIGKILL');
    }
  });

  it('restarts a crashing component on schedule while the rest keeps serving', async () => {
    const f = await startFixture({ CRASH_AFTER_MS: '300' });
    try {
      const restarts = await waitFor(
        async () => {
          const r = await f.get('/readyz');
          const crashy = (r.body['components'] as Array<{ name: string; restarts: number }>).find((c) => c.name === 'crashy');
          return (crashy?.restarts ?? 0) >= 2 ? crashy?.restarts : undefined;
        },
        { description: 'crashy restarted twice', timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(restarts).toBeGreaterThanOrEqual(2);
      expect((await f.get('/livez')).status).toBe(200);
      expect((await f.get('/slow')).status).toBe(200);
      const delays = f
        .logs()
        .filter((l) => l['component'] === 'crashy' && typeof l['restartInMs'] === 'number')
        .map((l) => Number(l['restartInMs']));
      // 1 s then 2 s (jittered down by at most 20 %): the schedule of SPEC §5
      expect(delays[0]).toBeGreaterThanOrEqual(800);
      expect(delays[0]).toBeLessThanOrEqual(1000);
      expect(delays[1]).toBeGreaterThanOrEqual(1600);
      expect(delays[1]).toBeLessThanOrEqual(2000);
      expect(f.proc.running).toBe(true);
    } finally {
      await f.proc.stop('SIGKILL');
    }
  });

  it('a fatal component failure shuts the process down in order and exits 1', async () => {
    const f = await startFixture({ FATAL_AFTER_MS: '1500' });
    expect((await f.proc.exited).code).toBe(1);
    expect(f.logs().some((l) => l['msg'] === 'fatal component failed; shutting down')).toBe(true);
    expect(f.steps()).toEqual([
      'readiness-off',
      'delay',
      'stop-intake',
      'stop:http',
      'stop:doomed',
      'stop:slow-consumer',
      'stop:nats',
      'complete',
    ]);
  });

  it('an uncaught exception is logged and leads to the same orderly shutdown, exit 1', async () => {
    const f = await startFixture({});
    expect((await f.get('/boom')).status).toBe(200);
    expect((await f.proc.exited).code).toBe(1);
    const fatal = f.logs().find((l) => l['msg'] === 'uncaught exception; shutting down');
    expect((fatal?.['err'] as { message?: string })?.message).toBe('boom outside any request');
    expect(f.steps()).toEqual(['readiness-off', 'delay', 'stop-intake', 'stop:http', 'stop:slow-consumer', 'stop:nats', 'complete']);
  });
});
