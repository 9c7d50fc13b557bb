import { EventStreamHub } from '@tandem/http';
import { Supervisor } from '@tandem/runtime';
import { createServiceMetrics } from '@tandem/telemetry';
import pino from 'pino';
import { buildGatewayApp } from './app';
import { OrderClient } from './order-client';

/** The order service is not running here: the gateway's own behaviour is under test. */
function gateway(rateLimitMax: number, rateLimitWindowMs: number, trustProxy: string[] = []) {
  const logger = pino({ level: 'silent' });
  const orders = new OrderClient({ baseUrl: 'http://127.0.0.1:9', connectTimeoutMs: 500 });
  const app = buildGatewayApp({
    logger,
    health: new Supervisor({ logger, shutdownDelayMs: 0, shutdownTimeoutMs: 1_000 }),
    metrics: createServiceMetrics({ service: 'gateway', version: 'v1' }),
    orders,
    streams: startedHub(),
    version: 'v1',
    rateLimitMax,
    rateLimitWindowMs,
    trustProxy,
  });
  app.addHook('onClose', () => orders.close());
  return app;
}

describe('gateway app', () => {
  it('limits each client to RATE_LIMIT_MAX requests per window with a 429 problem', async () => {
    const app = gateway(2, 60_000);
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await app.inject({ method: 'GET', url: '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d' })).statusCode);
      expect(statuses.slice(0, 2)).toEqual([503, 503]); // nothing listens on the order port
      expect(statuses[2]).toBe(429);
      const limited = await app.inject({ method: 'GET', url: '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d' });
      expect(limited.headers['content-type']).toContain('application/problem+json');
      expect(limited.headers['retry-after']).toBeDefined();
      // probes are never limited
      expect((await app.inject('/livez')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('has no limit when the window is 0 (the local default)', async () => {
    const app = gateway(1, 0);
    try {
      for (let i = 0; i < 5; i++)
        expect((await app.inject({ method: 'POST', url: '/orders', payload: { sku: 'bad sku', qty: 1 } })).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('behind a trusted proxy (the sidecar on loopback), limits each client by its X-Forwarded-For address, not the proxy’s', async () => {
    const app = gateway(1, 60_000, ['loopback']);
    const get = (client: string) =>
      app.inject({ method: 'GET', url: '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d', headers: { 'x-forwarded-for': client } });
    try {
      expect((await get('203.0.113.7')).statusCode).toBe(503);
      expect((await get('203.0.113.7')).statusCode).toBe(429);
      // Same proxy, another client: its own budget.
      expect((await get('198.51.100.9')).statusCode).toBe(503);
    } finally {
      await app.close();
    }
  });

  it('trusts no X-Forwarded-For by default: a client cannot dodge the limit by inventing addresses', async () => {
    const app = gateway(1, 60_000);
    const get = (client: string) =>
      app.inject({ method: 'GET', url: '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d', headers: { 'x-forwarded-for': client } });
    try {
      expect((await get('203.0.113.7')).statusCode).toBe(503);
      expect((await get('198.51.100.9')).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });
});

/** The gateway's event streams, started as its supervisor would (2 per client, 10 in all). */
function startedHub(): EventStreamHub {
  const hub = new EventStreamHub({ maxStreams: 10, maxPerClient: 2 });
  void hub.start({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });
  return hub;
}
