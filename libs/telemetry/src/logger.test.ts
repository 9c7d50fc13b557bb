import { Writable } from 'node:stream';
import { createLogger } from './logger';

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

  it('honours the level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ service: 's', version: 'v1', level: 'warn', destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => l['msg'])).toEqual(['shown']);
  });
});
