import type { ServerOptions } from 'node:http';

/** Node's limit on a request's header block (bytes): over it the answer is 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

/**
 * Fastify options that cut slow clients off: a request — headers and body — must
 * arrive within `requestTimeoutMs`, or Node answers 408 and closes the connection; a header
 * block over {@link MAX_HEADER_BYTES} is answered 431. Node checks these every
 * `connectionsCheckingInterval` (30 s by default, which would stretch a 10 s limit to 40 s):
 * here every second. Without this Fastify turns Node's request timeout off, so a body trickled
 * one byte a second holds a connection, and a graceful shutdown, for as long as the client likes.
 */
export function httpServerTimeouts(requestTimeoutMs: number): { requestTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
      maxHeaderSize: MAX_HEADER_BYTES,
    },
  };
}
