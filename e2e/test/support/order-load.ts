import { Pool } from 'undici';

/** The body of `POST /orders` (SPEC §3). */
export interface OrderRequestBody {
  readonly sku: string;
  readonly qty: number;
  readonly customerId?: string;
}

export interface OrderLoadOptions {
  /** Base URL of the service answering `POST /orders` (normally the gateway). */
  readonly baseUrl: string;
  /** Orders to send, one Idempotency-Key each (`<keyPrefix>-<n>`). */
  readonly orders: number;
  readonly keyPrefix: string;
  /** Requests in flight at once (one worker each). Default 8. */
  readonly concurrency?: number;
  /** Bound on one request, connect to last body byte; past it the attempt is recorded as a `timeout`. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /**
   * After a 503 a worker waits before its next order, as a client honouring `Retry-After`
   * would: the header's seconds (250 ms without one), capped at this. Default 1000 ms.
   */
  readonly maxPauseAfter503Ms?: number;
  /** Body of order `n`. Default: one of 50 SKUs, qty 1–10, a customer id on every third. */
  readonly body?: (n: number) => OrderRequestBody;
}

/** One `POST /orders` as the generator saw it. Times are `Date.now()` values. */
export interface OrderAttempt {
  readonly key: string;
  readonly body: OrderRequestBody;
  /** False for an order's first request, true for a later retry with the same key ({@link OrderLoad.retryUnaccepted}). */
  readonly retry: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
  /** HTTP status; undefined when no response arrived (see `failure`). */
  readonly status?: number;
  /** Why no status arrived: `timeout` or `error: <message>` (e.g. a connection reset). */
  readonly failure?: string;
  /** The order id of a 201. */
  readonly orderId?: string;
  /** The 201 was a replay (`idempotent-replayed: true`). */
  readonly replayed?: boolean;
  readonly retryAfter?: string;
}

/** Requests in flight at one moment (e.g. the moment a fault was injected). */
export interface LoadMark {
  readonly label: string;
  readonly at: number;
  /** Keys whose request had started and not yet ended. */
  readonly inFlight: readonly string[];
}

const defaultBody = (n: number): OrderRequestBody => ({
  sku: `LOAD-${n % 50}`,
  qty: 1 + (n % 10),
  ...(n % 3 === 0 ? { customerId: `customer-${n % 7}` } : {}),
});

/**
 * A closed-loop load generator for `POST /orders`: `concurrency` workers each send one
 * order at a time with a unique `Idempotency-Key` until `orders` have been sent, and every
 * attempt — status, order id, timing, or why there was no status — is recorded for the
 * audit ({@link auditOrders}). It starts at once; `finished` resolves when the last
 * request has ended. Uses its own undici pool with per-request timeouts, so no request
 * can hang a test: each ends with a status, a `timeout` or an `error`.
 */
export class OrderLoad {
  readonly attempts: OrderAttempt[] = [];
  readonly marks: LoadMark[] = [];
  /** Resolves when every order has been sent and answered (or has failed). */
  readonly finished: Promise<void>;
  private readonly pool: Pool;
  private readonly inFlight = new Map<string, number>();
  private readonly bodies = new Map<string, OrderRequestBody>();
  private next = 0;
  private stopped = false;

  private constructor(private readonly options: OrderLoadOptions) {
    const timeout = this.timeoutMs;
    this.pool = new Pool(options.baseUrl, {
      connections: (options.concurrency ?? 8) + 4,
      connectTimeout: Math.min(timeout, 5_000),
      headersTimeout: timeout,
      bodyTimeout: timeout,
      keepAliveTimeout: 10_000,
    });
    this.finished = Promise.all(Array.from({ length: options.concurrency ?? 8 }, () => this.worker())).then(() => undefined);
  }

  /** Starts sending at once. */
  static start(options: OrderLoadOptions): OrderLoad {
    return new OrderLoad(options);
  }

  private get timeoutMs(): number {
    return this.options.requestTimeoutMs ?? 15_000;
  }

  /** First requests that have ended. */
  get completed(): number {
    return this.attempts.filter((a) => !a.retry).length;
  }

  /** Orders sent so far (first requests started). */
  get sent(): number {
    return this.next;
  }

  /** Records which requests are in flight now, under `label`. */
  mark(label: string): LoadMark {
    const mark = { label, at: Date.now(), inFlight: [...this.inFlight.keys()] };
    this.marks.push(mark);
    return mark;
  }

  /** Stops starting new orders; requests in flight still run to their end (await `finished`). */
  stop(): void {
    this.stopped = true;
  }

  /** Keys that were sent and never answered 201. */
  unaccepted(): string[] {
    const accepted = new Set(this.attempts.filter((a) => a.status === 201).map((a) => a.key));
    return [...new Set(this.attempts.map((a) => a.key))].filter((key) => !accepted.has(key));
  }

  /**
   * Sends every order that never got a 201 again, with the same key and body (what a
   * client does after a 503 with `Retry-After`), `concurrency` at a time; the attempts are
   * recorded with `retry: true`. Call after `finished`.
   */
  async retryUnaccepted(): Promise<OrderAttempt[]> {
    const keys = this.unaccepted();
    const results: OrderAttempt[] = [];
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < keys.length) {
        const key = keys[i++] as string;
        results.push(await this.send(key, this.bodies.get(key) as OrderRequestBody, true));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, keys.length) }, worker));
    return results;
  }

  /** Waits until `count` first requests have ended (or throws after `timeoutMs`). */
  async whenCompleted(count: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.completed < count) {
      if (Date.now() > deadline) throw new Error(`load: ${this.completed} of ${count} requests completed after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Closes the HTTP pool (after `finished` and any retries). */
  async close(): Promise<void> {
    await this.pool.close();
  }

  private async worker(): Promise<void> {
    while (!this.stopped && this.next < this.options.orders) {
      const n = this.next++;
      const key = `${this.options.keyPrefix}-${n}`;
      const body = (this.options.body ?? defaultBody)(n);
      this.bodies.set(key, body);
      const attempt = await this.send(key, body, false);
      if (attempt.status === 503) {
        const asked = Number(attempt.retryAfter) * 1_000;
        const pause = Math.min(Number.isFinite(asked) && asked > 0 ? asked : 250, this.options.maxPauseAfter503Ms ?? 1_000);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  private async send(key: string, body: OrderRequestBody, retry: boolean): Promise<OrderAttempt> {
    const startedAt = Date.now();
    this.inFlight.set(key, startedAt);
    let attempt: OrderAttempt;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: '/orders',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.body.text();
      let orderId: string | undefined;
      if (response.statusCode === 201) {
        try {
          orderId = (JSON.parse(text) as { id?: string }).id;
        } catch {
          // a 201 without a JSON body: the audit reports it as a 201 without an order id
        }
      }
      const header = (name: string) => {
        const value = response.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const retryAfter = header('retry-after');
      attempt = {
        key,
        body,
        retry,
        startedAt,
        endedAt: Date.now(),
        status: response.statusCode,
        ...(orderId === undefined ? {} : { orderId }),
        ...(header('idempotent-replayed') === 'true' ? { replayed: true } : {}),
        ...(retryAfter === undefined ? {} : { retryAfter }),
      };
    } catch (error) {
      const err = error as Error & { code?: string };
      const timedOut = err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
      attempt = {
        key,
        body,
        retry,
        startedAt,
        endedAt: Date.now(),
        failure: timedOut ? 'timeout' : `error: ${err.code ?? err.name}: ${err.message}`,
      };
    } finally {
      this.inFlight.delete(key);
    }
    this.attempts.push(attempt);
    return attempt;
  }
}
