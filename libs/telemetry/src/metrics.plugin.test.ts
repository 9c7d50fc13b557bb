import Fastify from 'fastify';
import { createServiceMetrics } from './metrics';
import { metricsPlugin } from './metrics.plugin';

describe('metrics plugin', () => {
  const app = Fastify();
  app.register(metricsPlugin, { metrics: createServiceMetrics({ service: 'order', version: 'v2' }) });
  app.register(async (scope) => {
    scope.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  });
  afterAll(() => app.close());

  it('serves Prometheus text with build info and process metrics', async () => {
    const response = await app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toMatch(/^tandem_build_info\{version="v2",node_version="v\d+\.\d+\.\d+",service="order"\} 1$/m);
    expect(response.body).toContain('process_cpu_seconds_total');
    expect(response.body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts requests by route template, never by raw URL, and skips probes', async () => {
    await app.inject('/orders/a1');
    await app.inject('/orders/b2');
    await app.inject('/nowhere');
    await app.inject('/metrics');
    const body = (await app.inject('/metrics')).body;
    expect(body).toContain('http_server_requests_total{method="GET",route="/orders/:id",status_code="200",service="order"} 2');
    expect(body).toContain('http_server_requests_total{method="GET",route="unmatched",status_code="404",service="order"} 1');
    expect(body).not.toContain('/orders/a1');
    expect(body).not.toMatch(/route="\/metrics"/);
    expect(body).toContain(
      'http_server_request_duration_seconds_count{service="order",method="GET",route="/orders/:id",status_code="200"} 2',
    );
  });
});
