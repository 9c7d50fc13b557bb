import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

export interface SecurityHeadersPluginOptions {
  /** helmet's options (its defaults when absent). Every header must be the same for every request: no CSP nonces. */
  readonly helmet?: HelmetOptions;
}

/**
 * The headers helmet sets for `options`, computed once. helmet's middleware — and
 * `@fastify/helmet`, which builds a new middleware for every request — works them out per
 * request, yet without per-request CSP directives (nonces) they never change. Throws when
 * they do depend on the request (helmet run for two different requests disagrees), or when
 * helmet rejects the options.
 */
export function helmetHeaders(options: HelmetOptions = {}): Readonly<Record<string, string>> {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' && csp !== null ? Object.values(csp.directives ?? {}) : [];
  if (directives.some((value) => typeof value === 'function' || (Array.isArray(value) && value.some((v) => typeof v === 'function'))))
    throw new Error('security headers: a CSP directive computed per request (a function) is not supported; headers are computed once');
  const middleware = helmet(options);
  const run = (url: string) => {
    const set: Record<string, string> = {};
    const response = {
      setHeader(name: string, value: string | number | readonly string[]) {
        set[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      },
      removeHeader() {
        // X-Powered-By: Fastify never sets it.
      },
    };
    const request = { url, method: 'GET', headers: {} };
    middleware(request as unknown as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
      if (error) throw error;
    });
    return set;
  };
  const first = run('/a');
  const second = run('/b?x=1');
  if (JSON.stringify(first) !== JSON.stringify(second))
    throw new Error('security headers: these helmet options make headers that depend on the request (CSP nonces?); not supported');
  return Object.freeze(first);
}

/**
 * helmet's security headers (CSP, HSTS, nosniff, frame options, referrer policy, CORP/COOP…)
 * on every answer of the app, errors and 404s included: computed once by
 * {@link helmetHeaders}, set from an `onRequest` hook. The same headers as
 * `@fastify/helmet` with the same options, without rebuilding helmet's middleware per
 * request (what that costs: docs/benchmarks).
 */
async function securityHeaders(app: FastifyInstance, options: SecurityHeadersPluginOptions): Promise<void> {
  const headers = helmetHeaders(options.helmet);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
}

export const securityHeadersPlugin = fp(securityHeaders, { name: 'tandem-security-headers', fastify: '5.x' });
