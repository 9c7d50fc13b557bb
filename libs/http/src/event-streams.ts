import type { ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Component, ComponentHealth, Deadline, StartContext } from '@tandem/runtime';
import { delay, whenAborted } from '@tandem/runtime';
import { RuntimeError } from '@tandem/runtime';

/** Error code: the stream limit (in total or for this client) is reached (→ 503 with Retry-After). */
export const STREAM_LIMIT_REACHED = 'TANDEM_ERR_STREAM_LIMIT';
/** Error code: the process is shutting down and takes no new streams (→ 503 with Retry-After). */
export const STREAMS_CLOSED = 'TANDEM_ERR_STREAMS_CLOSED';

/** One server-sent event (the `text/event-stream` format of the HTML standard). */
export interface ServerSentEvent {
  /** Sent as `id:`; a reconnecting client sends the last one back as `Last-Event-ID`. */
  readonly id?: string;
  /** Sent as `event:` (the name an `EventSource` listener subscribes to). */
  readonly event?: string;
  readonly data: string;
}

/** The wire form of `event`: one `data:` line per line of data, a blank line at the end. */
export function formatServerSentEvent(event: ServerSentEvent): string {
  let out = '';
  for (const [field, value] of [
    ['id', event.id],
    ['event', event.event],
  ] as const) {
    if (value === undefined) continue;
    // A line break would end the field early (and NUL in an id makes clients ignore it).
    if (/[\r\n\0]/.test(value)) throw new TypeError(`server-sent event ${field} must be one line without NUL: ${JSON.stringify(value)}`);
    out += `${field}: ${value}\n`;
  }
  for (const line of event.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/** The place of one new stream, held from {@link EventStreamHub.admit} until it is opened or cancelled. */
export interface StreamAdmission {
  /** Opens the stream as the answer to `request` (status 200, `text/event-stream`, sent through Fastify so the app's headers and hooks apply). */
  open(request: FastifyRequest, reply: FastifyReply): EventStream;
  /** Gives the place back: no stream was opened (a 404, an error). */
  cancel(): void;
}

export interface EventStreamHubOptions {
  /** Component name (default `event-streams`). */
  readonly name?: string;
  readonly dependsOn?: readonly string[];
  /** Open streams allowed in this process; beyond, {@link STREAM_LIMIT_REACHED}. */
  readonly maxStreams: number;
  /** Open streams allowed per client (the key given to {@link EventStreamHub.open}); default unbounded. */
  readonly maxPerClient?: number;
  /** A comment line is written to a stream silent this long, so proxies keep it open; 0: none. */
  readonly heartbeatMs?: number;
  /** A stream without an event this long is ended with `retry:` (the client reconnects and resumes); 0: never. */
  readonly idleTimeoutMs?: number;
  /** The `retry:` (ms) a client is given when asked to reconnect; default 1000. */
  readonly reconnectMs?: number;
  /** A client this far behind (bytes queued) is dropped rather than buffered for; default 64 KiB. */
  readonly maxBufferedBytes?: number;
}

/**
 * The open `text/event-stream` responses of one process, as a component (docs/decisions/0014).
 * It bounds how many there are (in total and per client), keeps idle ones alive with heartbeat
 * comments, ends those idle past a bound, and counts them as in-flight work: when shutdown
 * begins it hands new streams off (200 with only `retry:`) and tells the open ones to
 * reconnect elsewhere (`retry:`, then close), spread over the shutdown delay so they do not
 * all land on the other instances at once, and its stop closes whatever is left. It starts after the HTTP server and stops
 * before it, so the server's close never waits on a stream.
 */
export class EventStreamHub implements Component {
  readonly name: string;
  readonly dependsOn: readonly string[];
  private readonly streams = new Set<EventStream>();
  /** Per client address: open streams and admitted ones not yet opened. */
  private readonly perClient = new Map<string, number>();
  /** Open streams and admitted ones not yet opened. */
  private places = 0;
  private state: 'idle' | 'accepting' | 'closing' = 'idle';
  private sweep?: NodeJS.Timeout;
  private handOffTimers: NodeJS.Timeout[] = [];
  private logger?: Logger;
  private readonly settings: Required<Omit<EventStreamHubOptions, 'name' | 'dependsOn' | 'maxPerClient'>> & { maxPerClient: number };

  constructor(options: EventStreamHubOptions) {
    this.name = options.name ?? 'event-streams';
    this.dependsOn = options.dependsOn ?? [];
    this.settings = {
      maxStreams: options.maxStreams,
      maxPerClient: options.maxPerClient ?? Infinity,
      heartbeatMs: options.heartbeatMs ?? 0,
      idleTimeoutMs: options.idleTimeoutMs ?? 0,
      reconnectMs: options.reconnectMs ?? 1_000,
      maxBufferedBytes: options.maxBufferedBytes ?? 64 * 1024,
    };
  }

  /** Open streams now. */
  get size(): number {
    return this.streams.size;
  }

  async start(context: StartContext): Promise<void> {
    this.logger = context.logger;
    this.state = 'accepting';
    const { heartbeatMs, idleTimeoutMs } = this.settings;
    const periods = [1_000, heartbeatMs / 2, idleTimeoutMs / 4].filter((ms) => ms > 0);
    this.sweep = setInterval(() => this.tick(), Math.max(20, Math.min(...periods)));
    this.sweep.unref();
  }

  /** True once shutdown has begun: new streams are handed off ({@link handOff}), not opened. */
  get closing(): boolean {
    return this.state === 'closing';
  }

  /**
   * Reserves the place of one new stream now, before the work a refusal would waste (a read, a
   * subscription): throws {@link STREAM_LIMIT_REACHED} beyond a bound (in total, or for
   * `client`) and {@link STREAMS_CLOSED} when not started or shutting down. The place is held
   * until the admission opens the stream or is cancelled.
   */
  admit(client?: string): StreamAdmission {
    if (this.state !== 'accepting')
      throw new RuntimeError(
        STREAMS_CLOSED,
        this.state === 'idle' ? 'not taking event streams yet: starting' : 'not taking new event streams: shutting down',
      );
    const { maxStreams, maxPerClient } = this.settings;
    if (this.places >= maxStreams)
      throw new RuntimeError(STREAM_LIMIT_REACHED, `${this.places} event streams are open, the most this instance keeps`);
    if (client !== undefined && (this.perClient.get(client) ?? 0) >= maxPerClient)
      throw new RuntimeError(STREAM_LIMIT_REACHED, `this client has ${maxPerClient} event streams open, the most allowed`);
    this.places += 1;
    if (client !== undefined) this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    let settled = false;
    return {
      open: (request, reply) => {
        if (settled) throw new Error('this admission was already used');
        settled = true;
        try {
          return this.openAdmitted(request, reply, client);
        } catch (error) {
          this.release(client);
          throw error;
        }
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.release(client);
      },
    };
  }

  /** {@link admit} and open at once. */
  open(request: FastifyRequest, reply: FastifyReply, options: { readonly client?: string } = {}): EventStream {
    return this.admit(options.client).open(request, reply);
  }

  /**
   * The answer to a new stream while shutting down: status 200 with only `retry:`, then the end.
   * An `EventSource` reconnects after that (to another instance), where a 503 would make it
   * give up for good.
   */
  handOff(reply: FastifyReply): FastifyReply {
    return reply
      .code(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      .send(`retry: ${this.settings.reconnectMs}\n\n`);
  }

  private openAdmitted(request: FastifyRequest, reply: FastifyReply, client: string | undefined): EventStream {
    const stream = new EventStream(new PassThrough(), reply.raw, this.settings.maxBufferedBytes, request.log, () =>
      this.forget(stream, client),
    );
    this.streams.add(stream);
    reply.raw.once('close', () => {
      stream.end();
      stream.markClosed();
    });
    reply
      .code(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache, no-transform')
      // nginx and some other proxies buffer responses unless told not to.
      .header('x-accel-buffering', 'no')
      .send(stream.body);
    return stream;
  }

  beginShutdown(delayMs: number): void {
    this.state = 'closing';
    const open = [...this.streams];
    if (open.length === 0) return;
    // Not at once: for the first part of the delay the pod is still in endpoints and a reconnect
    // could come straight back. Not at the very end: the last ones need time to flush.
    const fromMs = Math.floor(delayMs * 0.25);
    const toMs = Math.floor(delayMs * 0.8);
    this.logger?.info(
      { openStreams: open.length, fromMs, toMs },
      `shutdown: telling ${open.length} open event stream(s) to reconnect elsewhere, from ${fromMs} to ${toMs} ms`,
    );
    open.forEach((stream, i) => {
      const at = fromMs + Math.floor(((toMs - fromMs) * i) / open.length);
      if (at === 0) stream.end({ retryMs: this.settings.reconnectMs });
      else {
        const timer = setTimeout(() => stream.end({ retryMs: this.settings.reconnectMs }), at);
        timer.unref();
        this.handOffTimers.push(timer);
      }
    });
  }

  async stop(deadline: Deadline): Promise<void> {
    this.state = 'closing';
    clearInterval(this.sweep);
    for (const timer of this.handOffTimers) clearTimeout(timer);
    this.handOffTimers = [];
    const open = [...this.streams];
    if (open.length > 0) this.logger?.info({ openStreams: open.length }, `closing ${open.length} open event stream(s); clients reconnect`);
    for (const stream of open) stream.end({ retryMs: this.settings.reconnectMs });
    // A client that does not read keeps its response from finishing: a second, then cut it off.
    const flushed = Promise.all(open.map((s) => s.closed));
    await Promise.race([flushed, delay(Math.min(1_000, deadline.remaining()), deadline.signal).catch(() => undefined)]);
    for (const stream of open) stream.abort();
    await Promise.race([flushed, whenAborted(deadline.signal)]);
  }

  health(): ComponentHealth {
    const open = `${this.streams.size} open stream(s)`;
    return this.state === 'accepting' ? { ready: true, detail: open } : { ready: false, detail: `not taking new streams; ${open}` };
  }

  holding(): string | undefined {
    return this.streams.size > 0 ? `${this.streams.size} open event stream(s)` : undefined;
  }

  private forget(stream: EventStream, client: string | undefined): void {
    if (this.streams.delete(stream)) this.release(client);
  }

  private release(client: string | undefined): void {
    this.places -= 1;
    if (client === undefined) return;
    const left = (this.perClient.get(client) ?? 1) - 1;
    if (left > 0) this.perClient.set(client, left);
    else this.perClient.delete(client);
  }

  private tick(): void {
    const now = Date.now();
    const { heartbeatMs, idleTimeoutMs, reconnectMs } = this.settings;
    for (const stream of this.streams) {
      if (idleTimeoutMs > 0 && now - stream.lastEventAt >= idleTimeoutMs) stream.end({ retryMs: reconnectMs });
      else if (heartbeatMs > 0 && now - stream.lastWriteAt >= heartbeatMs) stream.comment('keep-alive');
    }
  }
}

/** One open event stream; made by {@link EventStreamHub.open}. */
export class EventStream {
  lastEventAt = Date.now();
  lastWriteAt = Date.now();
  /** Resolves once the response is over (its connection closed or it was fully sent). */
  readonly closed: Promise<void>;
  private open = true;
  private tail = '\n\n';
  private readonly closeCallbacks: Array<() => void> = [];
  private source?: { readonly readable: Readable; readonly cancel: () => void };
  private resolveClosed!: () => void;

  constructor(
    /** The response body Fastify sends. */
    readonly body: PassThrough,
    private readonly response: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly log: FastifyRequest['log'],
    private readonly onGone: () => void,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    body.once('close', () => {
      this.end();
      this.markClosed();
    });
  }

  /** False once the stream has ended; writes are then ignored. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Sends one event. */
  send(event: ServerSentEvent): void {
    this.lastEventAt = Date.now();
    this.write(formatServerSentEvent(event));
  }

  /** Sends a comment line (ignored by clients; keeps proxies from timing the stream out). */
  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  /**
   * Relays another event stream's bytes unchanged (the gateway in front of the order service),
   * with back-pressure: the source is paused while this client is slow. The stream ends when
   * the source does; `cancel` releases the source when the stream ends first.
   */
  relay(readable: Readable, cancel: () => void): void {
    this.source = { readable, cancel };
    readable.on('data', (chunk: Buffer) => {
      this.lastEventAt = this.lastWriteAt = Date.now();
      this.tail = (this.tail + chunk.toString('latin1')).slice(-2);
    });
    readable.once('end', () => this.end());
    // The upstream broke off: tell the client to come back rather than leaving it to guess.
    readable.on('error', () => this.end({ retryMs: 1_000 }));
    readable.pipe(this.body, { end: false });
  }

  /** Registers what to release when the stream is over (subscriptions, upstreams). */
  onClose(callback: () => void): void {
    if (this.open) this.closeCallbacks.push(callback);
    else callback();
  }

  /**
   * Ends the stream; with `retryMs`, first tells the client when to reconnect (an
   * `EventSource` does so by itself, sending `Last-Event-ID`).
   */
  end(options: { readonly retryMs?: number } = {}): void {
    if (!this.open) return;
    this.open = false;
    if (this.source) {
      this.source.readable.unpipe(this.body);
      this.source.cancel();
    }
    // Only between events: a `retry:` inside a half-relayed event would corrupt it.
    if (options.retryMs !== undefined && this.tail === '\n\n' && !this.body.destroyed) this.body.write(`retry: ${options.retryMs}\n\n`);
    this.body.end();
    this.onGone();
    for (const callback of this.closeCallbacks.splice(0)) {
      try {
        callback();
      } catch (error) {
        this.log.warn({ err: error }, 'releasing an event stream failed');
      }
    }
  }

  /** Ends the stream and drops its connection now, sent or not (a client that stopped reading). */
  abort(): void {
    this.end();
    if (!this.response.destroyed) this.response.destroy();
    this.markClosed();
  }

  /** The response is over. */
  markClosed(): void {
    this.resolveClosed();
  }

  private write(text: string): void {
    if (!this.open) return;
    if (this.body.writableLength > this.maxBufferedBytes) {
      this.log.warn({ bufferedBytes: this.body.writableLength }, 'event stream client is not reading; dropping it');
      this.abort();
      return;
    }
    this.lastWriteAt = Date.now();
    this.tail = text.slice(-2);
    this.body.write(text);
  }
}
