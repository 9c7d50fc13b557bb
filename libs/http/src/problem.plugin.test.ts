import Fastify from 'fastify';
import { RuntimeError } from '@tandem/runtime';
import { problemFrameworkErrors, problemPlugin } from './problem.plugin';

const CATALOGUE = {
  TANDEM_ERR_NOT_FOUND: { status: 404, title: 'Not Found', type: 'about:blank' },
  TANDEM_ERR_INVALID_REQUEST: { status: 400, title: 'Bad Request', type: 'about:blank' },
  TANDEM_ERR_INTERNAL: { status: 500, title: 'Internal Server Error', type: 'about:blank', detail: 'the request could not be completed' },
};

describe('problem+json errors', () => {
  const app = Fastify({ bodyLimit: 64, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } } });
  app.register(problemPlugin, {
    catalogue: {
      ...CATALOGUE,
      TANDEM_ERR_EVENT_NOT_STORED: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 2 },
      TANDEM_ERR_UPSTREAM: { status: 503, title: 'Service Unavailable', type: 'about:blank', retryAfterSeconds: 2 },
      TANDEM_ERR_FIXED: { status: 503, title: 'Service Unavailable', type: 'about:blank', detail: 'try again shortly' },
    },
  });
  app.register(async (scope) => {
    scope.post(
      '/things',
      {
        schema: {
          body: {
            type: 'object',
            required: ['sku', 'qty'],
            additionalProperties: false,
            properties: { sku: { type: 'string', minLength: 1 }, qty: { type: 'integer', minimum: 1 } },
          },
        },
      },
      async () => ({ ok: true }),
    );
    scope.get('/down', async () => {
      throw new RuntimeError('TANDEM_ERR_EVENT_NOT_STORED', 'event on orders.created was not stored: not connected');
    });
    scope.get('/bug', async () => {
      throw new Error('secret internals');
    });
    scope.get('/upstream', async () => {
      throw new RuntimeError(
        'TANDEM_ERR_UPSTREAM',
        'order service unavailable: connect ECONNREFUSED 10.96.0.12:3001\n    at TCPConnectWrap (/app/node_modules/x.js:1:1)',
      );
    });
    scope.get('/fixed', async () => {
      throw new RuntimeError('TANDEM_ERR_FIXED', 'nats://order:s3cret@nats.tandem.svc.cluster.local:4222 refused');
    });
    scope.get('/client', async () => {
      throw Object.assign(new Error('cannot read /work/main/config.json from order.tandem.svc:3001'), { statusCode: 422 });
    });
  });
  afterAll(() => app.close());

  it('lists every offending field of a validation error', async () => {
    const r = await app.inject({ method: 'POST', url: '/things', payload: { sku: '', qty: '1', extra: 1 } });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const body = r.json();
    expect(body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
    expect(body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['extra', 'qty', 'sku']);
  });

  it('answers malformed JSON 400, oversized bodies 413 and unknown routes 404, all as problems', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: '{"sku":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    const huge = await app.inject({
      method: 'POST',
      url: '/things',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ sku: 'x'.repeat(100), qty: 1 }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ status: 413, title: 'Content Too Large' });
    const missing = await app.inject('/nope');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ status: 404, detail: 'no route for GET /nope' });
  });

  it('maps catalogue codes (503 with Retry-After) and hides unexpected errors', async () => {
    const down = await app.inject('/down');
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('2');
    const bug = await app.inject('/bug');
    expect(bug.statusCode).toBe(500);
    expect(bug.body).not.toContain('secret internals');
  });

  it('never lets a stack, a file path or an internal address through, mapped or not', async () => {
    const upstream = await app.inject('/upstream');
    expect(upstream.statusCode).toBe(503);
    expect(upstream.json().detail).toBe('order service unavailable: connect ECONNREFUSED [internal address]');
    const fixed = await app.inject('/fixed');
    expect(fixed.json()).toMatchObject({ status: 503, detail: 'try again shortly' });
    const client = await app.inject('/client');
    expect(client.json()).toMatchObject({ status: 422, detail: 'cannot read [internal path] from [internal address]' });
    for (const r of [upstream, fixed, client]) {
      expect(r.body).not.toMatch(/10\.96|TCPConnectWrap|node_modules|s3cret|svc|\/work\//);
    }
  });
});

describe('router errors as problem bodies (frameworkErrors)', () => {
  const app = Fastify({ frameworkErrors: problemFrameworkErrors });
  app.register(problemPlugin, { catalogue: CATALOGUE });
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));

  it('answers a path parameter over the router limit with 414 and a problem body, not Fastify JSON', async () => {
    const response = await app.inject({ url: `/items/${'x'.repeat(101)}` });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toEqual({
      type: 'about:blank',
      title: 'URI Too Long',
      status: 414,
      detail: 'a path parameter is longer than the API accepts',
    });
  });

  it('answers a malformed percent-encoding with 400 and a problem body that does not echo the URL', async () => {
    const response = await app.inject({ url: '/items/%ED%A0%80' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 400, detail: 'the URL is not valid: a percent-encoded part is not UTF-8' });
    expect(response.body).not.toContain('%ED');
    expect((await app.inject({ url: '/items/ok' })).json()).toEqual({ id: 'ok' });
  });
});
