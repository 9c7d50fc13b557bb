import Fastify from 'fastify';
import { captureLogger } from '../test/log-capture';
import { AccessLogController } from './access-log';
import { HttpServerComponent } from './http-server.component';
import { requestIdPlugin } from './request-id.plugin';

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HttpServerComponent', () => {
  const { logger, lines } = captureLogger();
  const app = Fastify({ loggerInstance: logger, logController: new AccessLogController() });
  app.register(requestIdPlugin);
  const gate: { open?: () => void } = {};
  const held = new Promise<void>((resolve) => (gate.open = resolve));
  app.get('/hold', async () => {
    await held;
    return { ok: true };
  });
  const server = new HttpServerComponent(app, { port: 0, host: '127.0.0.1' });
  let base = '';

  beforeAll(async () => {
    await server.start();
    base = `http://${(server.health().detail ?? '').replace('listening on http://', '')}`;
  });
  afterAll(async () => {
    gate.open?.();
    await server.stop();
  });

  it('counts requests in flight one by one, even when they share a request id', async () => {
    const both = [1, 2].map(() => fetch(`${base}/hold`, { headers: { 'x-request-id': 'same-id' } }));
    await until(() => server.holding() === '2 request(s) in flight', 'two requests in flight');
    gate.open?.();
    await Promise.all(both);
    await until(() => server.holding() === undefined, 'none in flight');
  });

  it('logs a request the client gave up on, since it never completes', async () => {
    const slowApp = Fastify({ loggerInstance: logger, logController: new AccessLogController() });
    slowApp.register(requestIdPlugin);
    const release: { go?: () => void } = {};
    const blocked = new Promise<void>((resolve) => (release.go = resolve));
    slowApp.get('/slow', async () => {
      await blocked;
      return {};
    });
    const slow = new HttpServerComponent(slowApp, { port: 0, host: '127.0.0.1' });
    await slow.start();
    try {
      const url = `http://${(slow.health().detail ?? '').replace('listening on http://', '')}/slow`;
      const controller = new AbortController();
      const request = fetch(url, { headers: { 'x-request-id': 'gave-up-1' }, signal: controller.signal }).catch(() => undefined);
      await until(() => slow.holding() !== undefined, 'the request in flight');
      controller.abort();
      await request;
      await until(() => lines.some((l) => l['reqId'] === 'gave-up-1' && l['msg'] === 'request aborted by the client'), 'the abort line');
      expect(lines.find((l) => l['reqId'] === 'gave-up-1' && l['msg'] === 'request aborted by the client')).toMatchObject({
        req: { method: 'GET', url: '/slow' },
      });
      expect(slow.holding()).toBeUndefined();
    } finally {
      release.go?.();
      await slow.stop();
    }
  });
});
