/**
 * How Tandem's HTTP APIs answer an error, by its code: the one catalogue, as Fastify keeps its
 * own errors in one table. Every answer is an RFC 9457 problem (`application/problem+json`)
 * with this `type`, `title` and `status`; a 503 also says when to retry (`Retry-After`).
 * The codes are what the libs throw (`error.code`); an error whose code is not here is a 500
 * that reveals nothing.
 */
export interface ProblemType {
  readonly status: number;
  readonly title: string;
  /** The RFC 9457 problem type: `about:blank` where the status says it all. */
  readonly type: string;
  /** Seconds for a `Retry-After` header. */
  readonly retryAfterSeconds?: number;
  /** The `detail` callers see instead of the error's own message (which is logged). */
  readonly detail?: string;
}

export const Problems = {
  /** No route for the path. */
  TANDEM_ERR_NOT_FOUND: { status: 404, title: 'Not Found', type: 'about:blank' },
  /** A known path with a method it does not serve (`Allow` says which). */
  TANDEM_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method Not Allowed', type: 'about:blank' },
  /** A request its schema refuses; the answer lists each field. */
  TANDEM_ERR_INVALID_REQUEST: { status: 400, title: 'Bad Request', type: 'about:blank' },
  /** Anything unforeseen: logged in full, answered with nothing of it. */
  TANDEM_ERR_INTERNAL: { status: 500, title: 'Internal Server Error', type: 'about:blank', detail: 'the request could not be completed' },
  /** The same Idempotency-Key with another body. */
  TANDEM_ERR_IDEMPOTENCY_CONFLICT: { status: 409, title: 'Conflict', type: 'about:blank' },
  /** JetStream did not confirm the event (a 201 means it did). */
  TANDEM_ERR_EVENT_NOT_STORED: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 2 },
  /** No NATS connection to read or write with. */
  TANDEM_ERR_NATS_UNAVAILABLE: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 2 },
  /** The gateway could not reach the order service. */
  TANDEM_ERR_ORDER_UNAVAILABLE: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 2 },
  /** A stored order event that cannot be read back. */
  TANDEM_ERR_ORDER_UNREADABLE: { status: 500, title: 'Internal Server Error', type: 'about:blank' },
  /** As many event streams open as this instance (or this client) may hold. */
  TANDEM_ERR_STREAM_LIMIT: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 5 },
  /** The instance is shutting down: reconnect, another takes the stream. */
  TANDEM_ERR_STREAMS_CLOSED: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 1 },
} as const satisfies Record<string, ProblemType>;
