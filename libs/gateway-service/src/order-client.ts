import { RuntimeError } from '@tandem/runtime';
import { Pool, type Dispatcher } from 'undici';
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

export interface OrderClientOptions {
  readonly baseUrl: string;
  readonly connectTimeoutMs?: number;
  /** Bound on waiting for the order service's answer (headers and body each). */
  readonly requestTimeoutMs?: number;
  readonly connections?: number;
  /** Event streams open at once (each holds a connection of its own pool); default 2000. */
  readonly maxStreams?: number;
}

/**
 * Longest silence of an open event stream before it counts as dead: the order service sends a
 * heartbeat at least every 30 s (EVENTS_HEARTBEAT_MS ≤ 30000).
 */
export const EVENT_STREAM_SILENCE_MS = 60_000;

/**
 * The gateway's HTTP client for the order service (separate processes; in Kubernetes the
 * mesh routes and splits these calls): a keep-alive undici pool with connect and request
 * timeouts. Reads are retried once on a connection failure (they are idempotent); a POST
 * never is — its idempotency is the Idempotency-Key's job. An unreachable or silent order
 * service is `TANDEM_ERR_ORDER_UNAVAILABLE` (→ 503).
 */
export class OrderClient implements OrderService {
  private readonly pool: Pool;
  /** Event streams hold their connection for minutes: a pool of their own, so they never queue requests. */
  private readonly streams: Pool;

  constructor(options: OrderClientOptions) {
    this.pool = new Pool(options.baseUrl, {
      connections: options.connections ?? 64,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      headersTimeout: options.requestTimeoutMs ?? 10_000,
      bodyTimeout: options.requestTimeoutMs ?? 10_000,
      keepAliveTimeout: 30_000,
    });
    this.streams = new Pool(options.baseUrl, {
      connections: options.maxStreams ?? 2_000,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      headersTimeout: options.requestTimeoutMs ?? 10_000,
      bodyTimeout: EVENT_STREAM_SILENCE_MS,
      keepAliveTimeout: 30_000,
    });
  }

  create(body: unknown, idempotencyKey: string | undefined, call?: OrderCall): Promise<OrderServiceResponse> {
    return this.send({
      method: 'POST',
      path: '/orders',
      headers: createHeaders(idempotencyKey, call),
      body: JSON.stringify(body),
    });
  }

  async get(id: string, call?: OrderCall): Promise<OrderServiceResponse> {
    const request = { method: 'GET' as const, path: `/orders/${encodeURIComponent(id)}`, headers: callHeaders(call) };
    try {
      return await this.send(request);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === ORDER_UNAVAILABLE) return this.send(request);
      throw error;
    }
  }

  /**
   * Opens the order's event stream. Retried once when the order service cannot take it (not
   * reachable, or a 503 from an instance that is shutting down): an `EventSource` gives up for
   * good on any answer but 200, so one refusal should not end a client's wait.
   */
  async events(id: string, lastEventId: string | undefined, call?: OrderCall): Promise<OrderServiceResponse | OrderEventStreamResponse> {
    try {
      const first = await this.openStream(id, lastEventId, call);
      if (first.status !== 503) return first;
    } catch (error) {
      if (!(error instanceof RuntimeError && error.code === ORDER_UNAVAILABLE)) throw error;
    }
    return this.openStream(id, lastEventId, call);
  }

  async close(): Promise<void> {
    // Open streams are the caller's to end first; destroy() does not wait for them.
    await Promise.all([this.pool.close(), this.streams.destroy()]);
  }

  private async openStream(
    id: string,
    lastEventId: string | undefined,
    call: OrderCall | undefined,
  ): Promise<OrderServiceResponse | OrderEventStreamResponse> {
    const controller = new AbortController();
    let response: Dispatcher.ResponseData;
    try {
      response = await this.streams.request({
        method: 'GET',
        path: eventsPath(id),
        headers: eventsHeaders(lastEventId, call),
        signal: controller.signal,
      });
    } catch (error) {
      throw orderUnavailable((error as Error).message, error);
    }
    const headers = relayedHeaders(response.headers);
    if (!opensEventStream(response.statusCode, response.headers)) {
      const body = await response.body.text().catch((error: unknown) => {
        throw orderUnavailable((error as Error).message, error);
      });
      return { status: response.statusCode, headers, body };
    }
    const body = response.body;
    // The stream's end is the relay's business; an abort is how it ends, not an error to report.
    body.on('error', () => undefined);
    return { status: 200, headers, stream: body, cancel: () => controller.abort() };
  }

  private async send(request: Dispatcher.RequestOptions): Promise<OrderServiceResponse> {
    try {
      const response = await this.pool.request(request);
      const body = await response.body.text();
      return { status: response.statusCode, headers: relayedHeaders(response.headers), body };
    } catch (error) {
      throw orderUnavailable((error as Error).message, error);
    }
  }
}
