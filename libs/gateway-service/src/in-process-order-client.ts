import { RuntimeError } from '@tandem/runtime';
import type { FastifyInstance, InjectOptions } from 'fastify';
import {
  callHeaders,
  createHeaders,
  eventsHeaders,
  eventsPath,
  opensEventStream,
  ORDER_UNAVAILABLE,
  orderUnavailable,
  relayedHeaders,
  type OrderCall,
  type OrderEventStreamResponse,
  type OrderService,
  type OrderServiceResponse,
} from './order-service';

/** The order service as another part of the same process sees it. */
export interface InProcessOrderTarget {
  /** The order service's own HTTP app: requests are injected into it, no socket, no HTTP parsing. */
  readonly app: Pick<FastifyInstance, 'inject'>;
  /**
   * True while the order service takes requests: its HTTP listener is open. False before it
   * starts (e.g. while NATS is not connected yet) and from the moment it begins to stop —
   * exactly when a request over HTTP would be refused.
   */
  readonly accepting: () => boolean;
}

export interface InProcessOrderClientOptions {
  /** Bound on waiting for the order service's answer, as for the HTTP client. */
  readonly requestTimeoutMs?: number;
}

/**
 * The order service called inside the process (the one-process topology, docs/decisions/0009):
 * each call is injected into the order service's own Fastify app, so validation, the
 * idempotency replay header, error mapping and `x-order-version` are the order service's,
 * byte for byte, without a loopback HTTP hop. When the order service is not accepting
 * requests, or does not answer within the timeout, the call fails with
 * `TANDEM_ERR_ORDER_UNAVAILABLE` (→ 503), as a refused or silent connection does over HTTP.
 */
export class InProcessOrderClient implements OrderService {
  private readonly timeoutMs: number;

  constructor(
    private readonly target: InProcessOrderTarget,
    options: InProcessOrderClientOptions = {},
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  create(body: unknown, idempotencyKey: string | undefined, call?: OrderCall): Promise<OrderServiceResponse> {
    return this.send({
      method: 'POST',
      url: '/orders',
      headers: createHeaders(idempotencyKey, call),
      payload: JSON.stringify(body),
    });
  }

  get(id: string, call?: OrderCall): Promise<OrderServiceResponse> {
    return this.send({ method: 'GET', url: `/orders/${encodeURIComponent(id)}`, headers: callHeaders(call) });
  }

  /**
   * Opens the order's event stream inside the process: injected with the body as a stream
   * (light-my-request's `payloadAsStream`), so events arrive as the order service writes them.
   */
  async events(id: string, lastEventId: string | undefined, call?: OrderCall): Promise<OrderServiceResponse | OrderEventStreamResponse> {
    return this.send({ method: 'GET', url: eventsPath(id), headers: eventsHeaders(lastEventId, call), payloadAsStream: true });
  }

  async close(): Promise<void> {
    // Nothing to release: the order service's app belongs to the order service.
  }

  private async send(request: InjectOptions & { payloadAsStream?: false }): Promise<OrderServiceResponse>;
  private async send(request: InjectOptions & { payloadAsStream: true }): Promise<OrderServiceResponse | OrderEventStreamResponse>;
  private async send(request: InjectOptions): Promise<OrderServiceResponse | OrderEventStreamResponse> {
    if (!this.target.accepting()) throw orderUnavailable('not accepting requests (not started, or shutting down)');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(orderUnavailable(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      const injected = this.target.app.inject(request);
      // A stream that opens after the caller gave up would stay open at the order service: close it.
      if (request.payloadAsStream)
        void timeout.catch(() =>
          injected.then(
            (late) => late.raw.res.destroy(),
            () => undefined,
          ),
        );
      const response = await Promise.race([injected, timeout]);
      const headers = relayedHeaders(response.headers);
      if (!request.payloadAsStream) return { status: response.statusCode, headers, body: response.payload };
      const stream = response.stream();
      if (!opensEventStream(response.statusCode, response.headers))
        return { status: response.statusCode, headers, body: await text(stream) };
      stream.on('error', () => undefined);
      // Ends the order service's side too: its response's socket closes, as a client's would.
      return { status: 200, headers, stream, cancel: () => response.raw.res.destroy() };
    } catch (error) {
      if (error instanceof RuntimeError && error.code === ORDER_UNAVAILABLE) throw error;
      // inject() rejects once the order app has begun to close.
      throw orderUnavailable((error as Error).message, error);
    } finally {
      clearTimeout(timer);
    }
  }
}

async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
