import { publicDetail } from './public-detail';

describe('publicDetail: error messages fit for a response', () => {
  it.each([
    [
      'order service unavailable: connect ECONNREFUSED 127.0.0.1:3001',
      'order service unavailable: connect ECONNREFUSED [internal address]',
    ],
    ['connect ECONNREFUSED ::1:3001', 'connect ECONNREFUSED [internal address]'],
    ['connect ECONNREFUSED [fd00:10:96::c]:3001', 'connect ECONNREFUSED [internal address]'],
    ['getaddrinfo ENOTFOUND order.tandem.svc.cluster.local', 'getaddrinfo ENOTFOUND [internal address]'],
    ['cannot reach nats-0.nats-headless.tandem.svc:4222', 'cannot reach [internal address]'],
    ['request to http://order:3001/orders failed', 'request to [internal address] failed'],
    ['nats://svc:hunter2@nats:4222 refused', '[internal address] refused'],
    ['connect ETIMEDOUT localhost', 'connect ETIMEDOUT [internal address]'],
    ["Cannot find module '/app/dist/apps/order/main.js'", "Cannot find module '[internal path]'"],
    ['failed at /work/main/libs/x.ts:12:3', 'failed at [internal path]'],
    ['ENOENT: open C:\\tandem\\secrets.json', 'ENOENT: open [internal path]'],
  ])('%s', (message, expected) => {
    expect(publicDetail(message)).toBe(expected);
  });

  it('keeps only the first line, so a stack never reaches a caller', () => {
    const error = new Error('boom');
    expect(publicDetail(error.stack ?? '')).toBe('Error: boom');
  });

  it('leaves messages written for callers as they are', () => {
    for (const message of [
      'no route for GET /orders/abc/x',
      'order 0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d does not exist',
      'event on orders.created was not stored: TIMEOUT (after 3 attempts)',
      'order service unavailable: no answer within 100 ms',
      'Body is not valid JSON but content-type is set to application/json',
      'Rate limit exceeded, retry in 1 minute',
      'Idempotency-Key k-1 was used with another body',
    ]) {
      expect(publicDetail(message)).toBe(message);
    }
  });

  it('bounds the length', () => {
    expect(publicDetail('x'.repeat(1000))).toHaveLength(300);
  });
});
