import { randomBytes } from 'node:crypto';
import { AppProcess, freePort, NatsServer, waitFor } from '@tandem/testing';

const PROBLEM = 'application/problem+json';
const UNKNOWN_ORDER = '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d';

interface Answer {
  readonly label: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/**
 * The public HTTP surface as a client sees it, against the built services as real
 * processes (NATS with Tandem's users): security headers, request ids, rate limiting,
 * errors that reveal nothing of the inside, and logs that keep no secret.
 */
describe('HTTP hardening (gateway in front of order, consumer and NATS)', () => {
  let nats: NatsServer;
  let order: AppProcess;
  let consumer: AppProcess;
  let gateway: AppProcess;
  /** A gateway whose order service is not running (the 503 path). */
  let orphan: AppProcess;
  /** A gateway with a small rate limit. */
  let limited: AppProcess;
  const answers: Answer[] = [];

  async function call(app: AppProcess, label: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const response = await fetch(app.url + path, { ...init, signal: AbortSignal.timeout(15_000) });
    const answer = { label, status: response.status, headers: response.headers, body: await response.text() };
    answers.push(answer);
    return answer;
  }
  const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

  beforeAll(async () => {
    nats = await NatsServer.start({ accounts: true });
    order = await AppProcess.start('order', { env: { ...nats.clientEnv('order'), LOG_LEVEL: 'trace' } });
    consumer = await AppProcess.start('consumer', { env: { ...nats.clientEnv('consumer'), LOG_LEVEL: 'trace' } });
    gateway = await AppProcess.start('gateway', { env: { ORDER_URL: order.url, LOG_LEVEL: 'trace' } });
    orphan = await AppProcess.start('gateway', { env: { ORDER_URL: `http://127.0.0.1:${await freePort()}` } });
    limited = await AppProcess.start('gateway', { env: { ORDER_URL: order.url, RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' } });

    // One answer of every kind, collected once and checked by each test below.
    await call(gateway, 'created', '/orders', json(JSON.stringify({ sku: 'HARD-1', qty: 1 }), { 'idempotency-key': 'hard-1' }));
    await call(gateway, 'unknown order', `/orders/${UNKNOWN_ORDER}`);
    await call(gateway, 'unknown route', '/admin/../../etc/passwd');
    await call(gateway, 'wrong method', `/orders/${UNKNOWN_ORDER}`, { method: 'DELETE' });
    await call(gateway, 'malformed JSON', '/orders', json('{"sku":"A",'));
    await call(gateway, 'invalid body', '/orders', json(JSON.stringify({ sku: 'bad sku!', qty: 0, extra: true })));
    await call(gateway, 'oversized body', '/orders', json(JSON.stringify({ sku: 'A', qty: 1, customerId: 'c'.repeat(17 * 1024) })));
    await call(gateway, 'wrong media type', '/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<sku>A</sku>',
    });
    await call(orphan, 'order service down', '/orders', json(JSON.stringify({ sku: 'A', qty: 1 }), { 'idempotency-key': 'down-1' }));
    await call(orphan, 'order service down (read)', `/orders/${UNKNOWN_ORDER}`);
    for (let i = 0; i < 4; i++) await call(limited, `limited ${i}`, `/orders/${UNKNOWN_ORDER}`);
    await call(order, 'order: malformed JSON', '/orders', json('{"sku":'));
    await call(order, 'order: unknown route', '/nowhere');
  });
  afterAll(async () => {
    for (const app of [limited, orphan, gateway, consumer, order]) await app?.stop();
    await nats?.cleanup();
  });

  const byLabel = (label: string) => {
    const answer = answers.find((a) => a.label === label);
    if (!answer) throw new Error(`no answer "${label}"`);
    return answer;
  };

  it('answers each case with the status the SPEC names', () => {
    expect(Object.fromEntries(answers.map((a) => [a.label, a.status]))).toMatchObject({
      created: 201,
      'unknown order': 404,
      'unknown route': 404,
      'wrong method': 405,
      'malformed JSON': 400,
      'invalid body': 400,
      'oversized body': 413,
      'wrong media type': 415,
      'order service down': 503,
      'order service down (read)': 503,
      'limited 3': 429,
    });
  });

  it('sets the security headers on every gateway answer, errors included, and names no server software', () => {
    for (const answer of answers.filter((a) => !a.label.startsWith('order:'))) {
      const h = answer.headers;
      expect({ label: answer.label, nosniff: h.get('x-content-type-options'), frame: h.get('x-frame-options') }).toEqual({
        label: answer.label,
        nosniff: 'nosniff',
        frame: 'SAMEORIGIN',
      });
      expect(h.get('content-security-policy')).toContain("default-src 'self'");
      expect(h.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(h.get('x-powered-by')).toBeNull();
      expect(h.get('server')).toBeNull();
    }
  });

  it('answers 429 with Retry-After and a problem once a client is over its limit, and never limits the probes', async () => {
    expect(answers.filter((a) => a.label.startsWith('limited')).map((a) => a.status)).toEqual([404, 404, 404, 429]);
    const over = byLabel('limited 3');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.headers.get('content-type')).toContain(PROBLEM);
    expect(JSON.parse(over.body)).toMatchObject({ type: 'about:blank', title: 'Too Many Requests', status: 429 });
    expect((await limited.get('/livez')).status).toBe(200);
    expect((await limited.get('/readyz')).status).toBe(200);
  });

  it('reveals no stack, file path, internal address or port in any error answer (gateway and order)', () => {
    const internal = [
      /\bat \S+ \(/, // a stack frame
      /node_modules|dist\/apps|\/work\/|\/app\/|\.[cm]?js:\d+/, // file paths
      /127\.0\.0\.1|localhost|::1|0\.0\.0\.0/, // addresses
      new RegExp(`:(${order.port}|${nats.port}|${consumer.port})\\b`), // internal ports
      /Error:|TypeError|ECONNREFUSED \d/,
    ];
    const errors = answers.filter((a) => a.status >= 400);
    expect(errors.length).toBeGreaterThanOrEqual(12);
    for (const answer of errors) {
      expect({ label: answer.label, contentType: answer.headers.get('content-type') }).toEqual({
        label: answer.label,
        contentType: expect.stringContaining(PROBLEM),
      });
      for (const pattern of internal)
        expect({ label: answer.label, leak: pattern.exec(answer.body)?.[0] }).toEqual({ label: answer.label, leak: undefined });
      expect(JSON.parse(answer.body)).toMatchObject({ type: expect.any(String), title: expect.any(String), status: answer.status });
    }
    expect(JSON.parse(byLabel('order service down').body).detail).toMatch(/^order service unavailable/);
  });

  it('gives every answer a request id, keeps a sane incoming one, and logs the request under it in the gateway and in order', async () => {
    for (const answer of answers)
      expect({ label: answer.label, id: answer.headers.get('x-request-id') }).toEqual({
        label: answer.label,
        id: expect.stringMatching(/^[\w.:+/=-]{1,128}$/),
      });
    expect(new Set(answers.map((a) => a.headers.get('x-request-id'))).size).toBe(answers.length);

    const id = `edge-${randomBytes(6).toString('hex')}`;
    const traced = await call(gateway, 'with request id', `/orders/${UNKNOWN_ORDER}`, { headers: { 'x-request-id': id } });
    expect(traced.headers.get('x-request-id')).toBe(id);
    await waitFor(() => gateway.logs().some((l) => l['reqId'] === id && l['msg'] === 'request completed'), {
      description: `the gateway's "request completed" line with reqId ${id}`,
    });
    // The gateway passes its id on: the order service logs the same request under the same id.
    await waitFor(() => order.logs().some((l) => l['reqId'] === id && l['msg'] === 'request completed'), {
      description: `the order service's "request completed" line with reqId ${id}`,
    });
    const odd = await call(gateway, 'with odd request id', `/orders/${UNKNOWN_ORDER}`, { headers: { 'x-request-id': 'two words <b>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps credentials out of every log line: Authorization, cookies, query-string tokens, NATS passwords', async () => {
    const secret = `secret-${randomBytes(12).toString('hex')}`;
    const cookie = `cookie-${randomBytes(12).toString('hex')}`;
    const token = `token-${randomBytes(12).toString('hex')}`;
    const headers = { authorization: `Bearer ${secret}`, cookie: `session=${cookie}`, 'proxy-authorization': `Basic ${secret}` };
    const id = `secrets-${randomBytes(6).toString('hex')}`;
    await call(
      gateway,
      'secret: create',
      `/orders?access_token=${token}`,
      json(JSON.stringify({ sku: 'SEC-2', qty: 1 }), { ...headers, 'idempotency-key': 'sec-2' }),
    );
    await call(gateway, 'secret: invalid', `/orders?access_token=${token}`, json('{"sku":', headers));
    await call(gateway, 'secret: unknown route', `/private?access_token=${token}`, { headers });
    await call(order, 'secret: order direct', `/orders/${UNKNOWN_ORDER}?access_token=${token}`, { headers });
    await call(gateway, 'secret: last', `/orders/${UNKNOWN_ORDER}?access_token=${token}`, { headers: { ...headers, 'x-request-id': id } });
    await waitFor(() => gateway.logs().some((l) => l['reqId'] === id && l['msg'] === 'request completed'), {
      description: 'the last request logged',
    });
    // The requests were logged (so the test looks where the secrets would be)…
    expect(
      gateway.logs().some((l) => String((l['req'] as { url?: string } | undefined)?.url).startsWith('/orders?access_token=[redacted]')),
    ).toBe(true);
    // …and no process wrote a secret.
    const natsPasswords = (['order', 'consumer', 'all-in-one'] as const).map((u) => nats.user(u).pass);
    for (const app of [gateway, order, consumer, orphan, limited]) {
      const output = app.process.output();
      for (const value of [secret, cookie, token, ...natsPasswords])
        expect({ app: app.app, leaked: output.includes(value) }).toEqual({ app: app.app, leaked: false });
    }
  });
});
