import { auditOrders, formatAudit, type OrderStoreSnapshot } from './order-audit';
import type { OrderAttempt } from './order-load';

const body = { sku: 'A', qty: 1 };
const id = (key: string) => `id-${key}`;
const ok = (key: string, extra: Partial<OrderAttempt> = {}): OrderAttempt => ({
  key,
  body,
  retry: false,
  startedAt: 0,
  endedAt: 1,
  status: 201,
  orderId: id(key),
  ...extra,
});
const unavailable = (key: string, retry = false): OrderAttempt => ({ key, body, retry, startedAt: 0, endedAt: 1, status: 503 });

/** A store in which each of `keys` was created, stored and fulfilled exactly once. */
function wholeStore(keys: string[]): OrderStoreSnapshot {
  let seq = 0;
  return {
    created: keys.map((k) => ({ seq: ++seq, orderId: id(k), subjectId: id(k) })),
    fulfilled: keys.map((k) => ({ seq: ++seq, orderId: id(k), subjectId: id(k) })),
    otherEvents: 0,
    deadLetters: [],
  };
}

describe('auditOrders (the reliability suite’s judge)', () => {
  it('passes a clean run and counts what it saw', () => {
    const audit = auditOrders([ok('a'), ok('b'), unavailable('c')], wholeStore(['a', 'b']), { idForKey: id });
    expect(audit).toMatchObject({
      sent: 3,
      first: { created: 2, unavailable: 1, other: 0, noStatus: 0 },
      accepted: 2,
      fulfilled: 2,
      duplicates: 0,
      lost: 0,
      unconfirmedStored: 0,
      problems: [],
    });
    expect(formatAudit('clean', audit)).toBe(
      '[reliability] clean: sent 3, 201 2, 503 1, other 0, retried(same key) 0→201 0, accepted 2, fulfilled 2, duplicates 0, lost 0, unfulfilled 0, stored-after-503 0, dlq 0',
    );
  });

  it('finds an order answered 201 that is not stored (lost)', () => {
    const store = wholeStore(['a']);
    const audit = auditOrders([ok('a'), ok('b')], store);
    expect(audit.lost).toBe(1);
    expect(audit.problems.join('\n')).toMatch(/1 order\(s\) answered 201 but not stored: id-b \(no orders.created\)/);
  });

  it('finds an event stored twice and a fulfilment published twice (duplicates)', () => {
    const store = wholeStore(['a', 'b', 'c']);
    const audit = auditOrders([ok('a'), ok('b'), ok('c')], {
      ...store,
      created: [...store.created, { seq: 100, orderId: id('a'), subjectId: id('a') }],
      fulfilled: [...store.fulfilled, { seq: 101, orderId: id('b'), subjectId: id('b') }],
    });
    expect(audit.duplicates).toBe(2);
    expect(audit.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('more than one orders.created: id-a ×2'),
        expect.stringContaining('more than one orders.fulfilled: id-b ×2'),
      ]),
    );
    // the order whose fulfilled event came twice is not counted as fulfilled exactly once
    expect(audit.fulfilled).toBe(2);
  });

  it('finds an event whose body names another order than its subject', () => {
    const store = wholeStore(['a']);
    const audit = auditOrders([ok('a')], { ...store, fulfilled: [{ seq: 9, orderId: 'other', subjectId: id('a') }] });
    expect(audit.problems).toContain('1 event(s) whose body names another order than their subject: #9');
  });

  it('finds one key answered with two different orders', () => {
    const audit = auditOrders([ok('a'), ok('a', { retry: true, orderId: 'other' })], wholeStore(['a']));
    expect(audit.duplicates).toBe(1);
    expect(audit.problems[0]).toMatch(/a: one Idempotency-Key answered with 2 different orders/);
  });

  it('accepts an order stored after a 503 (its event was stored after all) when it is whole, and counts it', () => {
    const audit = auditOrders([ok('a'), unavailable('b')], wholeStore(['a', 'b']), { idForKey: id });
    expect(audit.problems).toEqual([]);
    expect(audit.unconfirmedStored).toBe(1);
  });

  it('flags a fulfilment without an order, an order stored but never fulfilled, and a stored order nobody sent', () => {
    const store = wholeStore(['a']);
    const audit = auditOrders(
      [ok('a')],
      {
        ...store,
        created: [...store.created, { seq: 50, orderId: 'stranger', subjectId: 'stranger' }],
        fulfilled: [...store.fulfilled, { seq: 51, orderId: 'phantom', subjectId: 'phantom' }],
      },
      { idForKey: id },
    );
    expect(audit.problems).toEqual(
      expect.arrayContaining([
        '1 orders.fulfilled without orders.created: phantom',
        '1 stored order(s) without a 201 not fulfilled exactly once: stranger',
        '1 stored order(s) nobody sent: stranger',
      ]),
    );
  });

  it('flags requests without a status (reset, timeout), unexpected statuses, unfulfilled and dead-lettered orders', () => {
    const store = wholeStore(['a']);
    const audit = auditOrders(
      [
        ok('a'),
        { key: 'r', body, retry: false, startedAt: 0, endedAt: 1, failure: 'error: ECONNRESET: other side closed' },
        { key: 's', body, retry: false, startedAt: 0, endedAt: 1, status: 500 },
        ok('u'),
      ],
      {
        ...store,
        created: [...store.created, { seq: 60, orderId: id('u'), subjectId: id('u') }],
        deadLetters: [
          { seq: 1, subject: `dlq.orders.created.${id('u')}`, size: 10, originalSequence: 60, orderId: id('u'), error: 'boom' },
        ],
      },
    );
    expect(audit.first).toEqual({ created: 2, unavailable: 0, other: 1, noStatus: 1 });
    expect(audit.unfulfilled).toBe(1);
    expect(audit.deadLettered).toBe(1);
    expect(audit.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('1 request(s) got no HTTP status: r (error: ECONNRESET'),
        '1 request(s) answered neither 201 nor 503: s → 500',
        expect.stringContaining('1 accepted order(s) not fulfilled exactly once: id-u (0 orders.fulfilled)'),
        '1 accepted order(s) dead-lettered: id-u: boom',
      ]),
    );
  });

  it('does not hold a dead-lettered (poison) orders.created against the orders', () => {
    const store = wholeStore(['a']);
    const audit = auditOrders([ok('a')], {
      ...store,
      created: [...store.created, { seq: 70, orderId: 'poison', subjectId: 'poison' }, { seq: 71, subjectId: 'x' }],
      deadLetters: [
        { seq: 1, subject: 'dlq.orders.created.poison', size: 3, originalSequence: 70, error: 'schema violation' },
        { seq: 2, subject: 'dlq.orders.created.x', size: 3, originalSequence: 71, error: 'not JSON' },
        { seq: 3, subject: 'dlq.orders.created.x', size: 3, originalSequence: 71, error: 'not JSON' },
      ],
    });
    expect(audit.problems).toEqual([]);
    expect(audit.deadLettered).toBe(2);
  });

  it('counts retries with the same key and treats a later 201 as acceptance', () => {
    const audit = auditOrders([unavailable('a'), ok('a', { retry: true })], wholeStore(['a']), { idForKey: id });
    expect(audit).toMatchObject({ retried: 1, retriedCreated: 1, accepted: 1, fulfilled: 1, problems: [] });
    expect(audit.first.unavailable).toBe(1);
  });
});
