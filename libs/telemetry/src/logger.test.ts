import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { AccessLogController } from '@tandem/http';
import { createLogger, REDACTED_PARENTS, REDACTED_PATHS, redactQuery } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, destination };
}

function text() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { chunks, destination };
}

describe('createLogger: the readable format (LOG_FORMAT=pretty)', () => {
  it('writes one line per record: time, level, service, short trace id, message, then the other fields', () => {
    const { chunks, destination } = text();
    const logger = createLogger({ service: 'order', version: 'v2', level: 'info', destination, format: 'pretty', colour: false });
    logger.info({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', orderId: 'o1' }, 'order created');
    logger.warn({ req: { headers: { authorization: 'Bearer s3cret' } } }, 'careful');
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: order 4bf92f35 order created \{"orderId":"o1"\}$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: order careful /);
    expect(lines[1]).not.toContain('s3cret');
    expect(lines.join('\n')).not.toMatch(/span_id|"pid"|v2/);
  });

  it('colours when asked: the level and the message part in ANSI colours', () => {
    const { chunks, destination } = text();
    createLogger({ service: 'gateway', version: 'v1', level: 'info', destination, format: 'pretty', colour: true }).info('hello');
    expect(chunks.join('')).toContain('\u001b[32mINFO\u001b[39m');
    expect(chunks.join('')).toContain('\u001b[36mgateway hello\u001b[39m');
  });

  it('keeps the JSON path as it was: a logger given a destination writes JSON lines unless told pretty', () => {
    const json = text();
    const explicit = text();
    createLogger({ service: 's', version: 'v1', level: 'info', destination: json.destination }).info({ a: 1 }, 'm');
    createLogger({ service: 's', version: 'v1', level: 'info', destination: explicit.destination, format: 'json' }).info({ a: 1 }, 'm');
    const strip = (line: string) => line.replace(/"time":"[^"]+"/, '');
    expect(strip(json.chunks.join(''))).toBe(strip(explicit.chunks.join('')));
    expect(JSON.parse(json.chunks.join(''))).toMatchObject({ level: 'info', service: 's', version: 'v1', a: 1, msg: 'm' });
  });
});

describe('createLogger', () => {
  it('writes one JSON object per line with service, version, ISO time and a level label', () => {
    const { lines, destination } = capture();
    createLogger({ service: 'order', version: 'v2', level: 'info', destination }).info({ orderId: 'o1' }, 'created');
    expect(lines[0]).toMatchObject({ level: 'info', service: 'order', version: 'v2', orderId: 'o1', msg: 'created' });
    expect(String(lines[0]?.['time'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('redacts credentials wherever they appear in request headers or NATS settings', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'gateway', version: 'v1', level: 'info', destination });
    logger.info({ req: { headers: { authorization: 'Bearer s3cret', cookie: 'sid=1', accept: 'json' } } }, 'request');
    logger.info({ nats: { user: 'svc', pass: 'hunter2' } }, 'connecting');
    const text = JSON.stringify(lines);
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('sid=1');
    expect(text).not.toContain('hunter2');
    expect(lines[0]).toMatchObject({ req: { headers: { authorization: '[redacted]', accept: 'json' } } });
    expect(lines[1]).toMatchObject({ nats: { user: 'svc', pass: '[redacted]' } });
  });

  it('redacts secret fields at the top level and under every key that may carry settings, errors or headers', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 'order', version: 'v1', level: 'info', destination });
    logger.info({ token: 't0p', NATS_PASS: 'np' }, 'top level');
    for (const parent of REDACTED_PARENTS) {
      logger.info(
        { [parent]: { password: 'pw', creds: 'cr', secret: 'se', headers: { authorization: 'Bearer b', 'x-api-key': 'k' } } },
        parent,
      );
    }
    const text = JSON.stringify(lines);
    for (const secret of ['t0p', '"np"', '"pw"', '"cr"', '"se"', 'Bearer b', '"k"']) expect(text).not.toContain(secret);
    expect(lines).toHaveLength(REDACTED_PARENTS.length + 1);
  });

  it('anchors every redaction path at a named key: no leading wildcard walking every line', () => {
    expect(REDACTED_PATHS.filter((p) => p.startsWith('*'))).toEqual([]);
  });

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 's', version: 'v1', level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => l['msg'])).toEqual(['shown']);
  });

  it('logs a Fastify request without its credentials: no header values, query-string values replaced', async () => {
    const { lines, destination } = capture();
    const app = Fastify({
      loggerInstance: createLogger({ service: 'gateway', version: 'v1', level: 'info', destination }),
      logController: new AccessLogController(),
    });
    app.get('/orders', async (request) => {
      request.log.info({ headers: request.headers }, 'handler logged its headers');
      return {};
    });
    try {
      await app.inject({
        url: '/orders?access_token=tok-9f8e&page=2',
        headers: { authorization: 'Bearer secret-7d3c', cookie: 'sid=cookie-5a1b', 'proxy-authorization': 'Basic cHJveHk=' },
      });
    } finally {
      await app.close();
    }
    const text = JSON.stringify(lines);
    for (const secret of ['tok-9f8e', 'secret-7d3c', 'cookie-5a1b', 'cHJveHk=']) expect(text).not.toContain(secret);
    const access = lines.find((l) => l['msg'] === 'request completed');
    expect(access?.['req']).toMatchObject({ method: 'GET', url: '/orders?access_token=[redacted]&page=[redacted]' });
    expect(lines.find((l) => l['msg'] === 'handler logged its headers')?.['headers']).toMatchObject({ authorization: '[redacted]' });
  });

  it('redactQuery keeps the path and the parameter names', () => {
    expect(redactQuery('/a/b')).toBe('/a/b');
    expect(redactQuery('/a?x=1&flag&y=')).toBe('/a?x=[redacted]&flag&y=[redacted]');
  });
});
