import type { Logger } from 'pino';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
import type { Component, Deadline, StartContext } from './component';
import { deadlineIn, delay } from './deadline';
import { ComponentFailedError, ComponentGraphError } from './errors';
import { topologicalOrder } from './topological-order';

export type ComponentState = 'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** One component as `/readyz` shows it. */
export interface ComponentReport {
  readonly name: string;
  readonly state: ComponentState;
  readonly ready: boolean;
  /** ISO time of the last state change. */
  readonly since: string;
  readonly detail?: string;
  readonly lastError?: string;
  readonly restarts: number;
}

export interface HealthReport {
  readonly status: 'starting' | 'ready' | 'not-ready' | 'shutting-down';
  readonly live: boolean;
  readonly ready: boolean;
  readonly components: readonly ComponentReport[];
}

/** Anything that can answer the health routes. */
export interface HealthSource {
  health(): HealthReport;
}

export interface SupervisorOptions {
  readonly logger: Logger;
  /** Time between readiness turning false and closing listeners (SPEC §2 `SHUTDOWN_DELAY_MS`). */
  readonly shutdownDelayMs: number;
  /** Hard bound on the whole shutdown (SPEC §2 `SHUTDOWN_TIMEOUT_MS`). */
  readonly shutdownTimeoutMs: number;
  /** Called when a fatal component fails for good; the process edge shuts down and exits 1. */
  readonly onFatal?: (error: ComponentFailedError) => void;
  readonly backoff?: BackoffPolicy;
  /** A component running this long without failing gets its backoff reset. Default 60 s. */
  readonly healthyResetMs?: number;
  /** Deadline for stopping a failed component before its restart. Default 5 s. */
  readonly restartStopTimeoutMs?: number;
  readonly random?: () => number;
}

export interface UnfinishedComponent {
  readonly name: string;
  readonly holding?: string;
}

export interface ShutdownResult {
  /** True when every component stopped before the deadline. */
  readonly ok: boolean;
  readonly unfinished: readonly UnfinishedComponent[];
  readonly durationMs: number;
}

interface Entry {
  readonly component: Component;
  state: ComponentState;
  since: number;
  lastError?: string;
  restarts: number;
  attempt: number;
  runId: number;
  runningSince: number;
  controller?: AbortController;
  restartTimer?: NodeJS.Timeout;
  stopping?: Promise<void>;
}

/**
 * Runs a process's components: starts them in dependency order, aggregates their health,
 * restarts failed ones with backoff, and shuts them down in the order of SPEC §5:
 * readiness off (`beginShutdown`) → `shutdownDelayMs` → stop intake (`quiesce`) → stop each component in
 * reverse start order (HTTP, consumers, connections, telemetry), all within `shutdownTimeoutMs`.
 * It never exits the process; {@link runMain} does.
 */
export class Supervisor implements HealthSource {
  private readonly entries = new Map<string, Entry>();
  private order: Entry[] = [];
  private phase: 'idle' | 'starting' | 'running' | 'shutting-down' = 'idle';
  private shutdownPromise?: Promise<ShutdownResult>;
  private readonly logger: Logger;
  private readonly backoff: BackoffPolicy;
  private fatalHandler?: (error: ComponentFailedError) => void;

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.fatalHandler = options.onFatal;
  }

  /** Sets who is told when a fatal component fails for good (the process edge). */
  setFatalHandler(handler: (error: ComponentFailedError) => void): void {
    this.fatalHandler = handler;
  }

  /** Registers a component; only before {@link start}. */
  add(component: Component): this {
    if (this.phase !== 'idle') throw new ComponentGraphError(`cannot add "${component.name}" after start`);
    if (this.entries.has(component.name)) throw new ComponentGraphError(`duplicate component "${component.name}"`);
    this.entries.set(component.name, {
      component,
      state: 'idle',
      since: Date.now(),
      restarts: 0,
      attempt: 0,
      runId: 0,
      runningSince: 0,
    });
    return this;
  }

  /** Component names in start order. */
  get startOrder(): readonly string[] {
    return this.resolveOrder().map((e) => e.component.name);
  }

  get shuttingDown(): boolean {
    return this.phase === 'shutting-down';
  }

  /** The hard bound on the whole shutdown; past it the process edge exits 1 whatever still runs. */
  get shutdownTimeoutMs(): number {
    return this.options.shutdownTimeoutMs;
  }

  /**
   * Starts every component in dependency order. A component whose start fails is handled
   * like a run-time failure (restart with backoff, or `onFatal`); start itself only throws
   * for an invalid component graph.
   */
  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new ComponentGraphError('supervisor already started');
    this.order = this.resolveOrder();
    this.phase = 'starting';
    this.logger.info({ order: this.startOrder }, 'starting components');
    for (const entry of this.order) {
      if (this.phase !== 'starting') return;
      await this.startEntry(entry);
    }
    if (this.phase === 'starting') this.phase = 'running';
  }

  health(): HealthReport {
    const components = [...this.entries.values()].map((e) => this.report(e));
    const ready = this.phase === 'running' && components.every((c) => c.ready);
    const status =
      this.phase === 'shutting-down'
        ? 'shutting-down'
        : this.phase === 'idle' || this.phase === 'starting'
          ? 'starting'
          : ready
            ? 'ready'
            : 'not-ready';
    return { status, live: true, ready, components };
  }

  /**
   * Runs the shutdown sequence once (later calls return the same promise). Resolves with
   * what did not finish by the deadline; never rejects.
   */
  shutdown(reason: string): Promise<ShutdownResult> {
    this.shutdownPromise ??= this.runShutdown(reason);
    return this.shutdownPromise;
  }

  /** What each component not yet stopped still holds (for the "second signal" log). */
  unfinished(): UnfinishedComponent[] {
    return [...this.entries.values()]
      .filter((e) => e.state !== 'stopped' && e.state !== 'idle' && e.state !== 'failed')
      .map((e) => ({ name: e.component.name, ...holdingOf(e.component) }));
  }

  private async runShutdown(reason: string): Promise<ShutdownResult> {
    const started = Date.now();
    const deadline = deadlineIn(this.options.shutdownTimeoutMs);
    this.phase = 'shutting-down';
    const step = (name: string, extra: Record<string, unknown> = {}): void =>
      this.logger.info({ shutdownStep: name, ...extra }, `shutdown: ${name}`);

    step('readiness-off', { reason });
    for (const entry of this.entries.values()) {
      if (entry.restartTimer) clearTimeout(entry.restartTimer);
    }
    const delayMs = Math.min(this.options.shutdownDelayMs, deadline.remaining());
    for (const entry of this.order) {
      if (entry.state !== 'running' && entry.state !== 'starting') continue;
      try {
        entry.component.beginShutdown?.(delayMs);
      } catch (error) {
        this.logger.warn({ err: error, component: entry.component.name }, 'beginShutdown failed');
      }
    }
    step('delay', { ms: this.options.shutdownDelayMs });
    await delay(delayMs, deadline.signal).catch(() => undefined);

    step('stop-intake');
    const reversed = [...this.order].reverse();
    for (const entry of reversed) {
      if (entry.state === 'running' || entry.state === 'starting') {
        try {
          entry.component.quiesce?.();
        } catch (error) {
          this.logger.warn({ err: error, component: entry.component.name }, 'quiesce failed');
        }
      }
    }

    const unfinished: UnfinishedComponent[] = [];
    for (const entry of reversed) {
      const name = entry.component.name;
      if (deadline.remaining() === 0) {
        if (entry.state !== 'stopped' && entry.state !== 'idle') unfinished.push({ name, ...holdingOf(entry.component) });
        continue;
      }
      if (entry.state === 'idle' || entry.state === 'stopped') continue;
      step('stop', { component: name });
      const finished = await this.stopEntry(entry, deadline);
      if (!finished) unfinished.push({ name, ...holdingOf(entry.component) });
    }
    const durationMs = Date.now() - started;
    if (unfinished.length > 0) {
      this.logger.error(
        { unfinished, timeoutMs: this.options.shutdownTimeoutMs, durationMs },
        `shutdown: deadline passed; unfinished: ${unfinished.map((u) => u.name + (u.holding ? ` (${u.holding})` : '')).join(', ')}`,
      );
    } else {
      step('complete', { durationMs });
    }
    return { ok: unfinished.length === 0, unfinished, durationMs };
  }

  private resolveOrder(): Entry[] {
    const components = [...this.entries.values()].map((e) => e.component);
    return topologicalOrder(components).map((c) => this.entries.get(c.name) as Entry);
  }

  private setState(entry: Entry, state: ComponentState): void {
    entry.state = state;
    entry.since = Date.now();
  }

  private async startEntry(entry: Entry): Promise<void> {
    const { component } = entry;
    const runId = ++entry.runId;
    const controller = new AbortController();
    entry.controller = controller;
    this.setState(entry, 'starting');
    const context: StartContext = {
      signal: controller.signal,
      logger: this.logger.child({ component: component.name }),
      fail: (error) => this.onFailure(entry, runId, error),
    };
    try {
      await component.start(context);
      if (entry.runId !== runId || entry.state !== 'starting') return;
      this.setState(entry, 'running');
      entry.runningSince = Date.now();
    } catch (error) {
      this.onFailure(entry, runId, error);
    }
  }

  private onFailure(entry: Entry, runId: number, cause: unknown): void {
    if (entry.runId !== runId || this.phase === 'shutting-down') return;
    if (entry.state === 'restarting' || entry.state === 'failed' || entry.state === 'stopped') return;
    const { component } = entry;
    const error = new ComponentFailedError(component.name, cause);
    entry.lastError = error.message;
    if (entry.state === 'running' && Date.now() - entry.runningSince >= (this.options.healthyResetMs ?? 60_000)) {
      entry.attempt = 0;
    }
    const maxRestarts = component.maxRestarts ?? (component.fatal ? 0 : Number.POSITIVE_INFINITY);
    const previous = entry.controller;
    entry.controller = undefined;
    previous?.abort(error);
    if (entry.restarts >= maxRestarts) {
      this.setState(entry, 'failed');
      this.logger.error({ err: cause, component: component.name, restarts: entry.restarts }, error.message);
      void this.stopQuietly(entry);
      if (component.fatal) this.fatalHandler?.(error);
      return;
    }
    const wait = backoffDelay(entry.attempt, this.backoff, this.options.random);
    entry.attempt += 1;
    this.setState(entry, 'restarting');
    this.logger.warn(
      { err: cause, component: component.name, restartInMs: wait, restarts: entry.restarts },
      `${error.message}; restarting in ${wait} ms`,
    );
    const stopped = this.stopQuietly(entry);
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = undefined;
      void stopped.then(async () => {
        if (this.phase === 'shutting-down' || entry.state !== 'restarting') return;
        entry.restarts += 1;
        await this.startEntry(entry);
      });
    }, wait);
  }

  /** Stops a failed component before its restart; errors are logged, not thrown. */
  private stopQuietly(entry: Entry): Promise<void> {
    const deadline = deadlineIn(this.options.restartStopTimeoutMs ?? 5_000);
    entry.stopping = Promise.race([
      entry.component.stop(deadline),
      new Promise<void>((resolve) => deadline.signal.addEventListener('abort', () => resolve(), { once: true })),
    ]).catch((error: unknown) => {
      this.logger.warn({ err: error, component: entry.component.name }, 'stop after failure failed');
    });
    return entry.stopping;
  }

  /** Stops a component for shutdown; true when it finished before the deadline. */
  private async stopEntry(entry: Entry, deadline: Deadline): Promise<boolean> {
    const wasFailed = entry.state === 'failed' || entry.state === 'restarting';
    this.setState(entry, 'stopping');
    entry.controller?.abort(new Error('shutdown'));
    if (wasFailed) {
      await entry.stopping;
      this.setState(entry, 'stopped');
      return true;
    }
    let timedOut = false;
    try {
      await Promise.race([
        entry.component.stop(deadline),
        new Promise<void>((_, reject) => {
          if (deadline.signal.aborted) reject(new Error('deadline'));
          deadline.signal.addEventListener('abort', () => reject(new Error('deadline')), { once: true });
        }),
      ]);
    } catch (error) {
      if (deadline.signal.aborted) timedOut = true;
      else this.logger.error({ err: error, component: entry.component.name }, 'stop failed');
    }
    if (timedOut) return false;
    this.setState(entry, 'stopped');
    return true;
  }

  private report(entry: Entry): ComponentReport {
    let ready = false;
    let detail: string | undefined;
    if (entry.state === 'running') {
      try {
        const h = entry.component.health();
        ready = h.ready;
        detail = h.detail;
      } catch (error) {
        detail = `health check threw: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return {
      name: entry.component.name,
      state: entry.state,
      ready,
      since: new Date(entry.since).toISOString(),
      ...(detail === undefined ? {} : { detail }),
      ...(entry.lastError === undefined ? {} : { lastError: entry.lastError }),
      restarts: entry.restarts,
    };
  }
}

function holdingOf(component: Component): { holding?: string } {
  try {
    const holding = component.holding?.();
    return holding ? { holding } : {};
  } catch {
    return {};
  }
}
