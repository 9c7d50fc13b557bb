import { matchesTemplate } from './subject-template';

describe('subject templates', () => {
  it('matches one concrete subject per wildcard token, nothing else', () => {
    expect(matchesTemplate('orders.created.*', 'orders.created.7f3c')).toBe(true);
    expect(matchesTemplate('orders.created', 'orders.created')).toBe(true);
    expect(matchesTemplate('orders.created.*', 'orders.created')).toBe(false);
    expect(matchesTemplate('orders.created.*', 'orders.created.a.b')).toBe(false);
    expect(matchesTemplate('orders.created.*', 'orders.fulfilled.a')).toBe(false);
    // a publish subject must be concrete: no wildcards, no empty or blank tokens
    expect(matchesTemplate('orders.created.*', 'orders.created.*')).toBe(false);
    expect(matchesTemplate('orders.created.*', 'orders.created.>')).toBe(false);
    expect(matchesTemplate('orders.created.*', 'orders.created.')).toBe(false);
    expect(matchesTemplate('orders.created.*', 'orders.created.a b')).toBe(false);
  });
});
