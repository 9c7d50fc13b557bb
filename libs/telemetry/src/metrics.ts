import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetricsOptions {
  readonly service: string;
  readonly version: string;
}

/** The process's one Prometheus registry and the HTTP metrics every service records. */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
}

/**
 * Creates the registry with process and event-loop metrics (prom-client defaults),
 * `tandem_build_info{service,version,node_version}` and the HTTP request metrics.
 * Call once per process; in the one-process topology, per service with its own labels.
 */
export function createServiceMetrics(options: ServiceMetricsOptions): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: 'tandem_build_info',
    help: 'Always 1; labels carry the service version and the Node.js version.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  buildInfo.set({ version: options.version, node_version: process.version }, 1);
  const httpRequests = new Counter({
    name: 'http_server_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending its response, in seconds.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return { registry, httpRequests, httpDuration };
}

/** `http_server_event_streams_open`: the event streams (server-sent events) a service holds open now, read at scrape time. */
export function registerOpenStreamsGauge(metrics: ServiceMetrics, open: () => number): void {
  new Gauge({
    name: 'http_server_event_streams_open',
    help: 'Event streams (text/event-stream responses) open now.',
    registers: [metrics.registry],
    collect() {
      this.set(open());
    },
  });
}
