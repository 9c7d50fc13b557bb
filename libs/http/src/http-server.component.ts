import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Component, ComponentHealth } from '@tandem/runtime';

export interface HttpServerOptions {
  readonly port: number;
  readonly host: string;
  readonly name?: string;
  readonly dependsOn?: readonly string[];
}

/**
 * Serves a Fastify app as a component. Start listens; stop closes the listener, lets
 * in-flight requests finish (Fastify answers requests that arrive meanwhile with 503 and
 * `Connection: close`; responses finished meanwhile also carry `Connection: close`) and
 * closes keep-alive connections as soon as they turn idle. A listener that cannot be
 * opened (port in use) is fatal: the process exits rather than running half-deaf.
 */
export class HttpServerComponent implements Component {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly fatal = true;
  private listening = false;
  /** By request object (two requests may carry the same id, a caller's x-request-id) → when its headers arrived. */
  private readonly inFlight = new Map<FastifyRequest, number>();
  private address = '';
  /** Requests this component answered 408 while stopping: their socket's end is not the client's doing. */
  private readonly cutOff = new WeakSet<FastifyRequest>();
  private closing = false;

  constructor(
    private readonly app: FastifyInstance,
    private readonly options: HttpServerOptions,
  ) {
    this.name = options.name ?? 'http';
    this.dependsOn = options.dependsOn ?? [];
    app.addHook('onRequest', async (request) => {
      this.inFlight.set(request, Date.now());
    });
    app.addHook('onResponse', async (request) => {
      this.inFlight.delete(request);
    });
    // The access line is written at completion (AccessLogController); a request the client
    // gave up on never completes, so it gets its own line.
    app.addHook('onRequestAbort', async (request) => {
      this.inFlight.delete(request);
      if (this.cutOff.has(request)) return;
      request.log.info({ req: request }, 'request aborted by the client');
    });
    // Responses finished during shutdown close their keep-alive connection, so close()
    // does not wait for the client's idle timeout.
    app.addHook('onSend', async (_request, reply) => {
      if (this.closing) reply.header('connection', 'close');
    });
  }

  async start(): Promise<void> {
    this.address = await this.app.listen({ port: this.options.port, host: this.options.host });
    this.listening = true;
  }

  async stop(): Promise<void> {
    this.listening = false;
    this.closing = true;
    // Connections that turn idle after close() began are not closed by Fastify's
    // one-time sweep; keep sweeping until every in-flight request is done. Node stops checking
    // request timeouts once the server closes, so a body still trickling in would hold the
    // close for as long as the client likes: past the request timeout it is cut off with 408.
    const sweep = setInterval(() => {
      this.app.server.closeIdleConnections();
      this.cutOffSlowUploads();
    }, 100);
    try {
      await this.app.close();
    } finally {
      clearInterval(sweep);
    }
  }

  /** Requests whose body has not arrived within the server's request timeout: answered 408 (Fastify's clientError handler), connection closed. */
  private cutOffSlowUploads(): void {
    const timeoutMs = this.app.server.requestTimeout;
    if (!(timeoutMs > 0)) return;
    const now = Date.now();
    for (const [request, arrivedAt] of this.inFlight) {
      if (request.raw.complete || now - arrivedAt < timeoutMs) continue;
      this.inFlight.delete(request);
      request.log.warn(
        { req: request, timeoutMs },
        'request body not received within the request timeout while shutting down; answered 408',
      );
      const timeout = Object.assign(new Error('request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
      this.app.server.emit('clientError', timeout, request.raw.socket);
    }
  }

  health(): ComponentHealth {
    return this.listening ? { ready: true, detail: `listening on ${this.address}` } : { ready: false, detail: 'not listening' };
  }

  holding(): string | undefined {
    return this.inFlight.size > 0 ? `${this.inFlight.size} request(s) in flight` : undefined;
  }
}
