import type { Readable } from 'node:stream';
import { MeshRoutingHeaders } from '@tandem/contracts';
import { RuntimeError } from '@tandem/runtime';

/** What the gateway passes back from the order service: status, the relayed headers and the body, unchanged. */
export interface OrderServiceResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An order event stream the order service opened (status 200, `text/event-stream`): bytes to relay as they come. */
export interface OrderEventStreamResponse {
  readonly status: 200;
  readonly headers: Readonly<Record<string, string>>;
  readonly stream: Readable;
  /** Ends the stream towards the order service (the client left, or the gateway is shutting down). */
  cancel(): void;
}

/** True when `response` is an open event stream rather than a complete answer. */
export function isEventStream(response: OrderServiceResponse | OrderEventStreamResponse): response is OrderEventStreamResponse {
  return 'stream' in response;
}

/**
 * The port the gateway's routes depend on: the order service's API, however it is reached —
 * over HTTP ({@link OrderClient}: separate processes, the mesh) or inside the same process
 * ({@link InProcessOrderClient}: the one-process topology). Either way the answer is the
 * order service's own (status, problem body, `Location`, `x-order-version`,
 * `idempotent-replayed`, `Retry-After`), and an order service that cannot take the request
 * (not reachable, not listening, shutting down, silent past the timeout) is an
 * {@link orderUnavailable} error, which the gateway answers 503 with `Retry-After`.
 */
export interface OrderService {
  /** `POST /orders` with the (already validated) body and the client's Idempotency-Key. */
  create(body: unknown, idempotencyKey: string | undefined, call?: OrderCall): Promise<OrderServiceResponse>;
  /** `GET /orders/:id`. */
  get(id: string, call?: OrderCall): Promise<OrderServiceResponse>;
  /**
   * `GET /orders/:id/events` with the client's `Last-Event-ID`: the open stream, or the order
   * service's complete answer when it opened none (204, 404, 503…).
   */
  events(id: string, lastEventId: string | undefined, call?: OrderCall): Promise<OrderServiceResponse | OrderEventStreamResponse>;
  /** Releases connections or timers; the service is not used afterwards. */
  close(): Promise<void>;
}

/** About the gateway request a call belongs to. */
export interface OrderCall {
  /**
   * The gateway's request id, sent as `x-request-id`: the order service keeps a sane incoming
   * id as its own, so one id names the request in both services' log lines.
   */
  readonly requestId?: string;
  /** The client's headers the mesh routes on (contracts' MeshRoutingHeaders), as {@link routingHeaders} picked them. */
  readonly routing?: Readonly<Record<string, string>>;
}

/** A routing header value worth forwarding: visible ASCII, at most 64 characters. */
const ROUTING_VALUE = /^[\x21-\x7e]{1,64}$/;

/**
 * The headers of a client request that the mesh routes on between gateway and order
 * (contracts' MeshRoutingHeaders, e.g. `x-canary: always`), to forward on every call the
 * request makes; a value that is not a short visible-ASCII token is not forwarded.
 */
export function routingHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of MeshRoutingHeaders) {
    const value = headers[name];
    if (typeof value === 'string' && ROUTING_VALUE.test(value)) picked[name] = value;
  }
  return picked;
}

/** The headers every call to the order service carries for `call`: the request id and the routing headers. */
export function callHeaders(call: OrderCall | undefined): Record<string, string> {
  return { ...call?.routing, ...(call?.requestId === undefined ? {} : { 'x-request-id': call.requestId }) };
}

/** The headers of a `POST /orders` to the order service: JSON, the client's Idempotency-Key, the call's. */
export function createHeaders(idempotencyKey: string | undefined, call: OrderCall | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    ...callHeaders(call),
  };
}

/** The headers of a `GET /orders/:id/events` to the order service. */
export function eventsHeaders(lastEventId: string | undefined, call: OrderCall | undefined): Record<string, string> {
  return { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }), ...callHeaders(call) };
}

/** The path of an order's event stream at the order service. */
export function eventsPath(id: string): string {
  return `/orders/${encodeURIComponent(id)}/events`;
}

/** True for the answer of an order service that opened an event stream. */
export function opensEventStream(status: number, headers: Readonly<Record<string, unknown>>): boolean {
  const type = headers['content-type'];
  return status === 200 && typeof type === 'string' && type.startsWith('text/event-stream');
}

/** Error code for an order service that cannot take the request (→ 503). */
export const ORDER_UNAVAILABLE = 'TANDEM_ERR_ORDER_UNAVAILABLE';

/** The error every {@link OrderService} throws when the order service cannot take the request. */
export function orderUnavailable(reason: string, cause?: unknown): RuntimeError {
  return new RuntimeError(ORDER_UNAVAILABLE, `order service unavailable: ${reason}`, cause === undefined ? undefined : { cause });
}

/** Headers of the order service's answer that reach the client; nothing else does. */
const RELAYED_HEADERS = ['content-type', 'location', 'x-order-version', 'idempotent-replayed', 'retry-after'] as const;

/** Picks the relayed headers out of an answer's headers (single string values only). */
export function relayedHeaders(headers: Readonly<Record<string, unknown>>): Record<string, string> {
  const relayed: Record<string, string> = {};
  for (const name of RELAYED_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') relayed[name] = value;
  }
  return relayed;
}
