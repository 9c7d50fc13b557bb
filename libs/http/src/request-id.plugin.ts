import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface RequestIdPluginOptions {
  /** The header read from callers and set on every response. Default `x-request-id`. */
  readonly header?: string;
}

/**
 * What an incoming id may look like to be kept: UUIDs, ULIDs, hex trace ids, Envoy's and
 * most proxies' ids. Anything else (too long, spaces, control characters) is replaced.
 */
const SANE_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/**
 * Request ids: each request's id (`request.id`, logged by Fastify as `reqId` on every line
 * of that request) is the caller's `x-request-id` when it looks sane, so a proxy's or an
 * upstream service's id carries through, or a new random UUID; and every response —
 * errors, 404s, 429s included — carries it in `x-request-id`. Register it first, before
 * plugins that answer early (rate limit).
 */
async function requestIds(app: FastifyInstance, options: RequestIdPluginOptions): Promise<void> {
  const header = (options.header ?? 'x-request-id').toLowerCase();
  app.setGenReqId((req) => {
    const incoming = req.headers[header];
    return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(header, request.id);
    done(null, payload);
  });
}

export const requestIdPlugin = fp(requestIds, { name: 'tandem-request-id', fastify: '5.x' });
