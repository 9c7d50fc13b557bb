import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { summarize, type LatencySummary } from './percentiles';

export interface LoadOptions {
  /** Base URL of the gateway under test. */
  readonly baseUrl: string;
  readonly connections: number;
  readonly durationSec: number;
  /** Prefix of the Idempotency-Keys: every POST carries a key no other request used. */
  readonly keyPrefix: string;
}

export interface LoadResult {
  /** Responses received within the run (any status). */
  readonly responses: number;
  readonly elapsedSec: number;
  readonly requestsPerSec: number;
  readonly non2xx: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (autocannon's `errors`, which include `timeouts`). */
  readonly errors: number;
  readonly timeouts: number;
  /** Per-response latency, exact (not autocannon's 1 ms histogram buckets). */
  readonly latencyMs: LatencySummary;
}

/** The order every POST sends. */
export const ORDER_BODY = JSON.stringify({ sku: 'BENCH-1', qty: 1 });

/**
 * `POST /orders` with fixed connections for a fixed time (closed loop: each connection sends
 * its next request when the previous answer arrives), each request with a fresh
 * Idempotency-Key so every one creates an order.
 */
export async function postOrders(options: LoadOptions): Promise<LoadResult> {
  let counter = 0;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let non2xx = 0;
  const instance = autocannon({
    url: `${options.baseUrl}/orders`,
    connections: options.connections,
    duration: options.durationSec,
    timeout: 10,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: ORDER_BODY,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, 'idempotency-key': `${options.keyPrefix}-${++counter}` },
        }),
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode < 200 || statusCode > 299) non2xx += 1;
  });
  const started = performance.now();
  const result = await instance;
  const elapsedSec = (performance.now() - started) / 1000;
  return {
    responses: latencies.length,
    elapsedSec,
    requestsPerSec: latencies.length / elapsedSec,
    non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: summarize(latencies),
  };
}
