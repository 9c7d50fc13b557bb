import { Supervisor } from '@tandem/runtime';
import { createServiceMetrics } from '@tandem/telemetry';
import pino from 'pino';
import { buildConsumerApp } from './app';

// Every service answers errors from the one catalogue (contracts' Problems), the worker's probe server too.
describe('the consumer HTTP side', () => {
  const logger = pino({ level: 'silent' });
  const app = buildConsumerApp({
    logger,
    health: new Supervisor({ logger, shutdownDelayMs: 0, shutdownTimeoutMs: 1_000 }),
    metrics: createServiceMetrics({ service: 'consumer', version: 'v1' }),
  });
  afterAll(() => app.close());

  it('answers an unknown path with the catalogue 404 as application/problem+json', async () => {
    const response = await app.inject({ url: '/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no route for GET /nope' });
  });
});
