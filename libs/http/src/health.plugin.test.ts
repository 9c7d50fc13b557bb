import Fastify from 'fastify';
import { healthPlugin } from './health.plugin';
import type { HealthReport } from '@tandem/runtime';

describe('health routes', () => {
  let report: HealthReport;
  const app = Fastify();
  app.register(healthPlugin, { health: { health: () => report } });
  afterAll(() => app.close());

  const component = { name: 'nats', state: 'running' as const, since: '2026-01-01T00:00:00.000Z', restarts: 0 };

  it('/readyz is 200 with each component when all are ready', async () => {
    report = { status: 'ready', live: true, ready: true, components: [{ ...component, ready: true }] };
    const response = await app.inject('/readyz');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json()).toEqual({ status: 'ready', components: [{ ...component, ready: true }] });
  });

  it('/readyz is 503 naming the component that is not ready, while /livez stays 200', async () => {
    report = {
      status: 'not-ready',
      live: true,
      ready: false,
      components: [{ ...component, ready: false, detail: 'disconnected; reconnecting' }],
    };
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().components[0]).toMatchObject({ name: 'nats', ready: false, detail: 'disconnected; reconnecting' });
    const live = await app.inject('/livez');
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'alive' });
  });
});
