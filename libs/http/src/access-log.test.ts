import Fastify from 'fastify';
import { captureLogger } from '../test/log-capture';
import { AccessLogController } from './access-log';
import { problemPlugin } from './problem.plugin';

const CATALOGUE = {
  TANDEM_ERR_NOT_FOUND: { status: 404, title: 'Not Found', type: 'about:blank' },
  TANDEM_ERR_INVALID_REQUEST: { status: 400, title: 'Bad Request', type: 'about:blank' },
  TANDEM_ERR_INTERNAL: { status: 500, title: 'Internal Server Error', type: 'about:blank', detail: 'the request could not be completed' },
};
import { requestIdPlugin } from './request-id.plugin';

describe('AccessLogController: one access line per request', () => {
  const { logger, lines } = captureLogger();
  const app = Fastify({ loggerInstance: logger, logController: new AccessLogController() });
  app.register(requestIdPlugin);
  app.register(problemPlugin, { catalogue: CATALOGUE });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/quiet', { logLevel: 'warn' }, async () => ({ ok: true }));
  app.get('/boom', async () => {
    throw new Error('internal');
  });
  afterAll(() => app.close());

  function linesOf(reqId: string): Array<Record<string, unknown>> {
    return lines.filter((l) => l['reqId'] === reqId);
  }

  it('logs a request once, on completion, with the request, the status and the response time', async () => {
    const r = await app.inject({ method: 'GET', url: '/ok', headers: { host: 'api.test', 'x-request-id': 'ok-1' } });
    expect(r.statusCode).toBe(200);
    const mine = linesOf('ok-1');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { method: 'GET', url: '/ok', host: 'api.test' },
      res: { statusCode: 200 },
    });
    expect(typeof mine[0]?.['responseTime']).toBe('number');
  });

  it('logs 404s and 5xx answers with their status', async () => {
    await app.inject({ url: '/nowhere', headers: { 'x-request-id': 'missing-1' } });
    expect(linesOf('missing-1').find((l) => l['msg'] === 'request completed')).toMatchObject({
      req: { url: '/nowhere' },
      res: { statusCode: 404 },
    });
    const boom = await app.inject({ url: '/boom', headers: { 'x-request-id': 'boom-1' } });
    expect(boom.statusCode).toBe(500);
    expect(linesOf('boom-1').find((l) => l['msg'] === 'request completed')).toMatchObject({ res: { statusCode: 500 } });
    expect(lines.some((l) => l['msg'] === 'incoming request')).toBe(false);
  });

  it('keeps routes that asked for a quieter level silent', async () => {
    const r = await app.inject({ url: '/quiet', headers: { 'x-request-id': 'quiet-1' } });
    expect(r.statusCode).toBe(200);
    expect(linesOf('quiet-1')).toEqual([]);
  });
});
