import { canTransition, isFinalStatus, OrderStatuses, statusRank } from './order-status';

describe('order status transitions', () => {
  it('accepted orders can be fulfilled', () => {
    expect(canTransition('accepted', 'fulfilled')).toBe(true);
  });
  it('fulfilled is final and no state transitions to itself', () => {
    for (const to of OrderStatuses) expect(canTransition('fulfilled', to)).toBe(false);
    for (const s of OrderStatuses) expect(canTransition(s, s)).toBe(false);
  });
  it('ranks every transition upwards, and only a status with no way out is final', () => {
    for (const from of OrderStatuses)
      for (const to of OrderStatuses) if (canTransition(from, to)) expect(statusRank(to)).toBeGreaterThan(statusRank(from));
    expect(OrderStatuses.filter(isFinalStatus)).toEqual(['fulfilled']);
  });
});
