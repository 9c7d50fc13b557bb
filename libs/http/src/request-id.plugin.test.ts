import Fastify from 'fastify';
import { captureLogger } from '../test/log-capture';
import { problemPlugin } from './problem.plugin';

const CATALOGUE = {
  TANDEM_ERR_NOT_FOUND: { status: 404, title: 'Not Found', type: 'about:blank' },
  TANDEM_ERR_INVALID_REQUEST: { status: 400, title: 'Bad Request', type: 'about:blank' },
  TANDEM_ERR_INTERNAL: { status: 500, title: 'Internal Server Error', type: 'about:blank', detail: 'the request could not be completed' },
};
import { requestIdPlugin } from './request-id.plugin';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  const { logger, lines } = captureLogger();
  const app = Fastify({ loggerInstance: logger, bodyLimit: 64 });
  app.register(requestIdPlugin);
  app.register(problemPlugin, { catalogue: CATALOGUE });
  app.register(async (scope) => {
    // An early answer from a hook (what a rate limiter does) still carries the id.
    scope.addHook('onRequest', async (request, reply) => {
      if (request.url === '/limited') await reply.code(429).send({ status: 429 });
    });
    scope.get('/ok', async (request) => ({ id: request.id }));
    scope.get('/limited', async () => ({}));
    scope.get('/boom', async () => {
      throw new Error('internal');
    });
    scope.post('/echo', async (request) => request.body);
  });
  afterAll(() => app.close());

  it('keeps a sane incoming x-request-id: on the response, as request.id, and on every log line of the request', async () => {
    lines.length = 0;
    const r = await app.inject({ url: '/ok', headers: { 'x-request-id': 'edge-4f2a.91' } });
    expect(r.headers['x-request-id']).toBe('edge-4f2a.91');
    expect(r.json()).toEqual({ id: 'edge-4f2a.91' });
    const ofRequest = lines.filter((l) => l['reqId'] === 'edge-4f2a.91').map((l) => l['msg']);
    expect(ofRequest).toEqual(['incoming request', 'request completed']);
  });

  it('replaces a missing, oversized or odd incoming id with a fresh UUID', async () => {
    const ids = [];
    for (const headers of [{}, { 'x-request-id': 'x'.repeat(129) }, { 'x-request-id': 'a b' }, { 'x-request-id': '<script>' }]) {
      const r = await app.inject({ url: '/ok', headers });
      expect(r.headers['x-request-id']).toMatch(UUID);
      ids.push(r.headers['x-request-id']);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('puts the id on every kind of answer: 404, 413, malformed JSON, 500 and an early 429 from a hook', async () => {
    const answers = await Promise.all([
      app.inject({ url: '/nowhere' }),
      app.inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ x: 'y'.repeat(100) }),
      }),
      app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"x":' }),
      app.inject({ url: '/boom' }),
      app.inject({ url: '/limited' }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([404, 413, 400, 500, 429]);
    for (const answer of answers) expect(answer.headers['x-request-id']).toMatch(UUID);
  });
});
