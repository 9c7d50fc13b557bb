import { Writable } from 'node:stream';
import pino from 'pino';
import type { Component, ComponentHealth, Deadline, StartContext } from './component';
import { delay } from './deadline';
import { Supervisor, type SupervisorOptions } from './supervisor';

/** Collects pino's JSON lines. */
function memoryLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/** A component whose behaviour each test sets; it records what the supervisor did to it. */
class TestComponent implements Component {
  readonly events: string[];
  ready = true;
  context?: StartContext;
  startFailures = 0;
  stopTakesMs = 0;

  constructor(
    readonly name: string,
    journal: string[],
    readonly dependsOn: string[] = [],
    readonly fatal = false,
  ) {
    this.events = journal;
  }

  async start(context: StartContext): Promise<void> {
    this.context = context;
    this.events.push(`start:${this.name}`);
    if (this.startFailures > 0) {
      this.startFailures -= 1;
      throw new Error(`${this.name} cannot start`);
    }
  }
  quiesce(): void {
    this.events.push(`quiesce:${this.name}`);
  }
  async stop(deadline: Deadline): Promise<void> {
    this.events.push(`stop:${this.name}`);
    if (this.stopTakesMs > 0) await new Promise((resolve) => setTimeout(resolve, this.stopTakesMs).unref());
    expect(deadline.remaining()).toBeGreaterThanOrEqual(0);
  }
  health(): ComponentHealth {
    return { ready: this.ready, detail: this.ready ? 'ok' : 'not yet' };
  }
  holding(): string {
    return '1 thing in flight';
  }
}

const fastBackoff = { initialMs: 30, secondMs: 60, factor: 1.5, maxMs: 200, jitter: 0 };

function setup(options: Partial<SupervisorOptions> = {}) {
  const { logger, lines } = memoryLogger();
  const journal: string[] = [];
  const supervisor = new Supervisor({ logger, shutdownDelayMs: 0, shutdownTimeoutMs: 2_000, backoff: fastBackoff, ...options });
  return { supervisor, journal, lines };
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

describe('Supervisor', () => {
  it('starts in dependency order, then on shutdown quiesces all and stops in reverse, logging each step', async () => {
    const { supervisor, journal, lines } = setup();
    const http = new TestComponent('http', journal, ['consumer']);
    supervisor
      .add(http)
      .add(new TestComponent('consumer', journal, ['nats']))
      .add(new TestComponent('nats', journal, ['telemetry']));
    supervisor.add(new TestComponent('telemetry', journal));
    await supervisor.start();
    expect(journal).toEqual(['start:telemetry', 'start:nats', 'start:consumer', 'start:http']);
    journal.length = 0;
    const result = await supervisor.shutdown('test');
    expect(result.ok).toBe(true);
    expect(journal).toEqual([
      'quiesce:http',
      'quiesce:consumer',
      'quiesce:nats',
      'quiesce:telemetry',
      'stop:http',
      'stop:consumer',
      'stop:nats',
      'stop:telemetry',
    ]);
    const steps = lines.filter((l) => l['shutdownStep']).map((l) => `${l['shutdownStep']}${l['component'] ? ':' + l['component'] : ''}`);
    expect(steps).toEqual([
      'readiness-off',
      'delay',
      'stop-intake',
      'stop:http',
      'stop:consumer',
      'stop:nats',
      'stop:telemetry',
      'complete',
    ]);
  });

  it('tells components that shutdown began, with the delay they have, before the delay and before any quiesce', async () => {
    const { supervisor, journal } = setup({ shutdownDelayMs: 200 });
    const streams = new TestComponent('streams', journal);
    const told: number[] = [];
    Object.assign(streams, {
      beginShutdown: (delayMs: number) => {
        journal.push('begin-shutdown:streams');
        told.push(delayMs);
      },
    });
    supervisor.add(new TestComponent('http', journal)).add(streams);
    await supervisor.start();
    journal.length = 0;
    const done = supervisor.shutdown('test');
    // Told at once (the delay has not begun to run out), while nothing is quiesced or stopped.
    expect(journal).toEqual(['begin-shutdown:streams']);
    await done;
    expect(journal.indexOf('quiesce:http')).toBeGreaterThan(0);
    expect(told).toEqual([200]);
  });

  it('is ready only when every component is running and healthy, and not ready from the moment shutdown starts', async () => {
    const { supervisor, journal } = setup({ shutdownDelayMs: 300 });
    const nats = new TestComponent('nats', journal);
    nats.ready = false;
    supervisor.add(nats).add(new TestComponent('http', journal, ['nats']));
    expect(supervisor.health().ready).toBe(false);
    await supervisor.start();
    const report = supervisor.health();
    expect(report.ready).toBe(false);
    expect(report.status).toBe('not-ready');
    expect(report.components.find((c) => c.name === 'nats')).toMatchObject({ state: 'running', ready: false, detail: 'not yet' });
    nats.ready = true;
    expect(supervisor.health()).toMatchObject({ ready: true, status: 'ready', live: true });
    const done = supervisor.shutdown('test');
    expect(supervisor.health()).toMatchObject({ ready: false, status: 'shutting-down', live: true });
    await delay(100);
    expect(journal).not.toContain('stop:http'); // still inside SHUTDOWN_DELAY_MS
    await done;
    expect(journal).toContain('stop:http');
  });

  it('restarts a failed component with backoff while the others keep running', async () => {
    const { supervisor, journal } = setup();
    const flaky = new TestComponent('flaky', journal);
    const steady = new TestComponent('steady', journal);
    supervisor.add(steady).add(flaky);
    await supervisor.start();
    const failedAt = Date.now();
    flaky.context?.fail(new Error('boom'));
    const during = supervisor.health().components;
    expect(during.find((c) => c.name === 'flaky')).toMatchObject({
      state: 'restarting',
      ready: false,
      lastError: 'component "flaky" failed: boom',
    });
    expect(during.find((c) => c.name === 'steady')).toMatchObject({ state: 'running', ready: true });
    await until(() => supervisor.health().components.find((c) => c.name === 'flaky')?.state === 'running', 'restart');
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(fastBackoff.initialMs - 5);
    expect(journal.filter((e) => e === 'start:flaky')).toHaveLength(2);
    expect(journal).toContain('stop:flaky');
    expect(journal.filter((e) => e === 'start:steady')).toHaveLength(1);
    expect(supervisor.health().components.find((c) => c.name === 'flaky')?.restarts).toBe(1);
    await supervisor.shutdown('test');
  });

  it('starts the backoff schedule again once a component has run healthily for healthyResetMs', async () => {
    const { supervisor, journal, lines } = setup({ healthyResetMs: 150 });
    const flaky = new TestComponent('flaky', journal);
    supervisor.add(flaky);
    await supervisor.start();
    const waits = (): number[] =>
      lines.filter((l) => l['component'] === 'flaky' && typeof l['restartInMs'] === 'number').map((l) => Number(l['restartInMs']));
    const running = () => supervisor.health().components[0]?.state === 'running';
    flaky.context?.fail(new Error('one'));
    await until(() => running() && waits().length === 1, 'first restart');
    flaky.context?.fail(new Error('two')); // at once: the schedule goes on
    await until(() => running() && waits().length === 2, 'second restart');
    await delay(250); // healthy for longer than healthyResetMs
    flaky.context?.fail(new Error('three'));
    await until(() => running() && waits().length === 3, 'third restart');
    expect(waits()).toEqual([fastBackoff.initialMs, fastBackoff.secondMs, fastBackoff.initialMs]);
    await supervisor.shutdown('test');
  });

  it('retries a component whose start fails, waiting longer each time', async () => {
    const { supervisor, journal } = setup();
    const component = new TestComponent('nats', journal);
    component.startFailures = 3;
    supervisor.add(component);
    const started = Date.now();
    await supervisor.start();
    await until(() => supervisor.health().ready, 'ready after three failed starts');
    // 30 + 60 + 90 ms of backoff at least
    expect(Date.now() - started).toBeGreaterThanOrEqual(175);
    expect(journal.filter((e) => e === 'start:nats')).toHaveLength(4);
    await supervisor.shutdown('test');
  });

  it('hands a fatal failure to the fatal handler instead of restarting', async () => {
    const fatalErrors: Error[] = [];
    const { supervisor, journal } = setup({ onFatal: (e) => fatalErrors.push(e) });
    const http = new TestComponent('http', journal, [], true);
    supervisor.add(http);
    await supervisor.start();
    http.context?.fail(new Error('EADDRINUSE'));
    expect(fatalErrors.map((e) => e.message)).toEqual(['component "http" failed: EADDRINUSE']);
    await delay(100);
    expect(journal.filter((e) => e === 'start:http')).toHaveLength(1);
    expect(supervisor.health().components[0]).toMatchObject({ state: 'failed', ready: false });
  });

  it('reports what did not finish when the shutdown deadline passes', async () => {
    const { supervisor, journal, lines } = setup({ shutdownTimeoutMs: 200 });
    const slow = new TestComponent('consumer', journal);
    slow.stopTakesMs = 2_000;
    supervisor.add(new TestComponent('nats', journal)).add(slow);
    slow.dependsOn.push('nats');
    await supervisor.start();
    const started = Date.now();
    const result = await supervisor.shutdown('test');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(result.ok).toBe(false);
    expect(result.unfinished).toEqual([
      { name: 'consumer', holding: '1 thing in flight' },
      { name: 'nats', holding: '1 thing in flight' },
    ]);
    expect(lines.some((l) => String(l['msg']).includes('deadline passed; unfinished: consumer (1 thing in flight)'))).toBe(true);
  });
});
