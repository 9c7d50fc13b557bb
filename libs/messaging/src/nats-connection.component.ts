import { readFile } from 'node:fs/promises';
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  PermissionViolationError,
  type NatsConnection,
  type Status,
} from '@nats-io/transport-node';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  delay,
  whenAborted,
  type BackoffPolicy,
  type Component,
  type ComponentHealth,
  type Deadline,
  type StartContext,
} from '@tandem/runtime';
import { describePermissionViolation } from './errors';
import { natsRequestPatch } from './nats-request-patch';

export interface NatsConnectionOptions {
  /** Server URLs, e.g. `["nats://127.0.0.1:4222"]`. */
  readonly servers: readonly string[];
  /** Client name shown by the server's monitoring (e.g. `order-v1`). */
  readonly clientName: string;
  readonly user?: string;
  readonly pass?: string;
  /** Path to a `.creds` file (JWT + NKey seed). */
  readonly credsFile?: string;
  /**
   * Prefix of this connection's reply subjects (default `_INBOX`). A NATS user allowed to
   * subscribe only to its own inbox (`_INBOX.order.>`) needs the matching prefix (`_INBOX.order`).
   */
  readonly inboxPrefix?: string;
  /** Delay schedule for the first connection and for reconnects. */
  readonly backoff?: BackoffPolicy;
  /** Handshake timeout per attempt. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /**
   * A connection that answers none of this many pings in a row, sent every
   * {@link NatsConnectionOptions.pingIntervalMs}, is dead: dropped and redialled. Defaults
   * {@link DEAD_CONNECTION}: noticed within 9 s (SPEC §4: 10 s).
   */
  readonly pingIntervalMs?: number;
  readonly maxPingsOut?: number;
  readonly name?: string;
}

/**
 * How a dead connection is noticed (SPEC §4: within 10 s): a ping every 3 s, and the
 * connection is dropped when 2 are unanswered at the next one, at most 3 × 3 s = 9 s after
 * the path went silent. nats.js's own default (2 minutes × 2) would leave a black-holed
 * connection looking healthy for up to 6 minutes, with `/readyz` 200 and every publish
 * waiting out its timeout. A ping is a few bytes every 3 s per connection.
 */
export const DEAD_CONNECTION = { pingIntervalMs: 3_000, maxPingsOut: 2 } as const;

/** A publish or subscription the server refused to this connection's user. */
export interface PermissionViolationNotice {
  readonly operation: 'publish' | 'subscription';
  readonly subject: string;
  /** When it was refused (ms since the epoch). */
  readonly at: number;
  readonly error: PermissionViolationError;
}

/** A server URL fit for logs and probes: a password in it (`nats://user:pass@host`) is replaced. */
export function redactServerUrl(url: string): string {
  return url.replace(
    /\/\/([^/@\s]*)@/,
    (_match, userinfo: string) => `//${userinfo.includes(':') ? `${userinfo.split(':')[0]}:[redacted]` : '[redacted]'}@`,
  );
}

/** `NATS_URL` form (comma-separated) → server list. */
export function parseServers(natsUrl: string): string[] {
  return natsUrl
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The process's NATS connection as a component (SPEC §4 "Connection").
 *
 * - `start` returns at once; connecting happens in the background so `/livez` answers
 *   while the broker is unreachable. Until connected, health is not ready.
 * - The first connection is retried for ever with the backoff schedule (1 s, 2 s, ×1.5 up
 *   to 30 s, jittered); once connected, nats.js reconnects for ever
 *   (`maxReconnectAttempts: -1`) with the same schedule through `reconnectDelayHandler`.
 * - While disconnected the component stays up and reports not ready; the connection
 *   resumes by itself. A connection that stops answering pings (a black-holed path: no
 *   FIN, no RST) counts as disconnected within 9 s ({@link DEAD_CONNECTION}). A connection closed for good (e.g. auth revoked) is reported as a
 *   failure, so the supervisor restarts the component.
 * - Refused credentials (`Authorization Violation`) are retried like any failed connect,
 *   but logged at error level on every attempt and named in the detail (which user, or
 *   that none was given). A publish or subscription the server refuses on a live
 *   connection is logged at error level and shown in the detail; the connection stays up.
 * - `stop` drains (flushes pending publishes, ends subscriptions) within the deadline,
 *   then closes.
 */
export class NatsConnectionComponent implements Component {
  readonly name: string;
  private nc?: NatsConnection;
  private connected = false;
  private stopping = false;
  private detail = 'not started';
  private reconnectAttempt = 0;
  private controller?: AbortController;
  private waiters: Array<(nc: NatsConnection) => void> = [];
  private lastViolation?: PermissionViolationNotice;

  constructor(private readonly options: NatsConnectionOptions) {
    this.name = options.name ?? 'nats';
  }

  async start(context: StartContext): Promise<void> {
    this.stopping = false;
    this.connected = false;
    this.lastViolation = undefined;
    this.detail = 'connecting';
    this.controller = new AbortController();
    const signal = AbortSignal.any([context.signal, this.controller.signal]);
    void this.connectLoop(context, signal);
  }

  health(): ComponentHealth {
    const v = this.lastViolation;
    const violation = v ? `; last permissions violation: ${v.operation} to "${v.subject}" at ${new Date(v.at).toISOString()}` : '';
    return { ready: this.connected, detail: this.detail + violation };
  }

  /**
   * The last publish or subscription the server refused on this connection (since start).
   * A refused request fails by itself; this is for what fails without an answer to carry
   * the reason — a pull request (`$JS.API.CONSUMER.MSG.NEXT…`) or an ack.
   */
  lastPermissionViolation(): PermissionViolationNotice | undefined {
    return this.lastViolation;
  }

  /** The live connection, or undefined while not (yet) connected. */
  connection(): NatsConnection | undefined {
    return this.connected ? this.nc : undefined;
  }

  /** Resolves with the connection once it is first established. */
  whenConnected(signal?: AbortSignal): Promise<NatsConnection> {
    if (this.nc) return Promise.resolve(this.nc);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push((nc) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(nc);
      });
    });
  }

  async stop(deadline: Deadline): Promise<void> {
    this.stopping = true;
    this.controller?.abort(new Error('stopping'));
    const nc = this.nc;
    const wasConnected = this.connected;
    this.nc = undefined;
    this.connected = false;
    this.detail = 'stopped';
    if (!nc || nc.isClosed()) return;
    if (!wasConnected) {
      // Draining needs the server; while disconnected nothing can be flushed anyway.
      await nc.close();
      return;
    }
    if (nc.isDraining()) {
      await nc.closed();
      return;
    }
    try {
      await Promise.race([
        nc.drain(),
        whenAborted(deadline.signal).then(() => {
          throw new Error('drain did not finish before the deadline');
        }),
      ]);
    } catch {
      await nc.close();
    }
  }

  holding(): string | undefined {
    return this.nc && !this.nc.isClosed() ? `connection to ${this.nc.getServer()} not yet drained` : undefined;
  }

  private credentialsHint(): string {
    if (this.options.credsFile !== undefined) return `the server did not accept the credentials in ${this.options.credsFile}`;
    if (this.options.user !== undefined) return `the server did not accept the password of user "${this.options.user}"`;
    return 'the server requires credentials and none were given';
  }

  private async connectLoop(context: StartContext, signal: AbortSignal): Promise<void> {
    const { logger } = context;
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    const authenticator = this.options.credsFile ? credsAuthenticator(new Uint8Array(await readFile(this.options.credsFile))) : undefined;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const nc = await connect({
          servers: [...this.options.servers],
          name: this.options.clientName,
          maxReconnectAttempts: -1,
          // nats.js asks for the delay more than once per dial (before and after waiting), so
          // the handler must not advance the schedule itself: dials are counted from the
          // 'reconnecting' status it emits once per dial.
          reconnectDelayHandler: () => backoffDelay(this.reconnectAttempt, policy),
          timeout: this.options.connectTimeoutMs ?? 5_000,
          pingInterval: this.options.pingIntervalMs ?? DEAD_CONNECTION.pingIntervalMs,
          maxPingOut: this.options.maxPingsOut ?? DEAD_CONNECTION.maxPingsOut,
          // By default every request/reply builds two errors with stack traces up front, in
          // case it fails (the cost: docs/benchmarks). The errors and their causes are the
          // same without; only the extra async stack is not captured.
          noAsyncTraces: true,
          ...(this.options.inboxPrefix === undefined ? {} : { inboxPrefix: this.options.inboxPrefix }),
          ...(this.options.user === undefined ? {} : { user: this.options.user, pass: this.options.pass }),
          ...(authenticator ? { authenticator } : {}),
        });
        if (signal.aborted) {
          await nc.close();
          return;
        }
        this.nc = nc;
        this.connected = true;
        this.reconnectAttempt = 0;
        this.detail = `connected to ${nc.getServer()}`;
        logger.info({ server: nc.getServer() }, 'connected to NATS');
        if (!natsRequestPatch.applied) logger.warn({ reason: natsRequestPatch.reason }, 'nats.js request patch not applied');
        for (const waiter of this.waiters.splice(0)) waiter(nc);
        void this.watch(nc, context);
        return;
      } catch (error) {
        const wait = backoffDelay(attempt, policy);
        const servers = this.options.servers.map(redactServerUrl).join(',');
        const refused = error instanceof AuthorizationError;
        const reason = refused ? `${error.message}: ${this.credentialsHint()}` : (error as Error).message;
        this.detail = `cannot connect to ${servers}: ${reason}; retry in ${wait} ms`;
        // Refused credentials do not fix themselves like a network outage does: say so loudly.
        if (refused) logger.error({ err: error, servers, retryInMs: wait, attempt }, `NATS refused the connection: ${reason}`);
        else if (attempt === 0 || attempt % 10 === 0) logger.warn({ err: error, retryInMs: wait, attempt }, 'NATS connection failed');
        await delay(wait, signal).catch(() => undefined);
      }
    }
  }

  private async watch(nc: NatsConnection, context: StartContext): Promise<void> {
    const { logger } = context;
    void nc.closed().then((error) => {
      if (this.nc !== nc || this.stopping) return;
      this.connected = false;
      this.detail = 'connection closed';
      context.fail(error instanceof Error ? error : new Error('NATS connection closed'));
    });
    for await (const status of nc.status()) {
      if (this.nc !== nc) return;
      this.onStatus(status, nc, logger);
    }
  }

  private onStatus(status: Status, nc: NatsConnection, logger: StartContext['logger']): void {
    switch (status.type) {
      case 'staleConnection':
        // The path went silent (no FIN, no RST): nats.js drops the connection and redials.
        this.connected = false;
        this.detail = 'unanswered pings: connection dead; reconnecting';
        logger.warn({ server: nc.getServer(), ...DEAD_CONNECTION }, 'NATS connection stopped answering pings; dropping it');
        break;
      case 'disconnect':
        this.connected = false;
        if (!this.detail.startsWith('unanswered pings')) this.detail = 'disconnected; reconnecting';
        logger.warn({ server: status.server }, 'disconnected from NATS');
        break;
      case 'reconnecting':
        this.reconnectAttempt += 1;
        this.detail = `reconnecting (attempt ${this.reconnectAttempt})`;
        break;
      case 'reconnect':
        this.connected = true;
        this.reconnectAttempt = 0;
        this.detail = `connected to ${nc.getServer()}`;
        logger.info({ server: status.server }, 'reconnected to NATS');
        break;
      case 'error':
        if (status.error instanceof PermissionViolationError) {
          // The server refused one publish or subscription and keeps the connection: the
          // operation fails (requests reject at once), and this names what was missing.
          const { operation, subject } = status.error;
          this.lastViolation = { operation, subject, at: Date.now(), error: status.error };
          logger.error(
            { err: status.error, operation, subject },
            `NATS permissions violation: ${describePermissionViolation(status.error)}`,
          );
        } else {
          logger.warn({ err: status.error }, 'NATS connection error');
        }
        break;
      default:
        break;
    }
  }
}
