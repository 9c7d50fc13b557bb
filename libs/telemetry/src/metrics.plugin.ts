import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceMetrics } from './metrics';

export interface MetricsPluginOptions {
  readonly metrics: ServiceMetrics;
}

/**
 * `GET /metrics` in Prometheus text format, and request count and duration for every
 * route by its template (`/orders/:id`, never the raw URL, so label cardinality stays
 * bounded; unmatched URLs are labelled `unmatched`). Probe and scrape routes are not counted.
 */
async function metricsRoutes(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const { registry, httpRequests, httpDuration } = options.metrics;
  const skip = new Set(['/metrics', '/livez', '/readyz']);
  // One labelled child pair per method, route and status, looked up by a plain string key:
  // prom-client would otherwise sort and join the label object on every observation.
  const children = new Map<string, { requests: { inc(): void }; duration: { observe(value: number): void } }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (!skip.has(route)) {
      const key = `${request.method} ${reply.statusCode} ${route}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method: request.method, route, status_code: String(reply.statusCode) };
        child = { requests: httpRequests.labels(labels), duration: httpDuration.labels(labels) };
        children.set(key, child);
      }
      child.requests.inc();
      child.duration.observe(reply.elapsedTime / 1000);
    }
    done();
  });
  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    const body = await registry.metrics();
    return reply.header('content-type', registry.contentType).send(body);
  });
}

export const metricsPlugin = fp(metricsRoutes, { name: 'tandem-metrics', fastify: '5.x' });
