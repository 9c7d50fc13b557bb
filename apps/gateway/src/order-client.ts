import { RuntimeError } from '@tandem/runtime';
import { Pool, type Dispatcher } from 'undici';
import {
  callHeaders,
  createHeaders,
  ORDER_UNAVAILABLE,
  orderUnavailable,
  relayedHeaders,
  type OrderCall,
  type OrderService,
  type OrderServiceResponse,
} from './order-service';

export interface OrderClientOptions {
  readonly baseUrl: string;
  readonly connectTimeoutMs?: number;
  /** Bound on waiting for the order service's answer (headers and body each). */
  readonly requestTimeoutMs?: number;
  readonly connections?: number;
}

/**
 * The gateway's HTTP client for the order service (separate processes; in Kubernetes the
 * mesh routes and splits these calls): a keep-alive undici pool with connect and request
 * timeouts. Reads are retried once on a connection failure (they are idempotent); a POST
 * never is — its idempotency is the Idempotency-Key's job. An unreachable or silent order
 * service is `TANDEM_ERR_ORDER_UNAVAILABLE` (→ 503).
 */
export class OrderClient implements OrderService {
  private readonly pool: Pool;

  constructor(options: OrderClientOptions) {
    this.pool = new Pool(options.baseUrl, {
      connections: options.connections ?? 64,
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      headersTimeout: options.requestTimeoutMs ?? 10_000,
      bodyTimeout: options.requestTimeoutMs ?? 10_000,
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

  close(): Promise<void> {
    return this.pool.close();
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
