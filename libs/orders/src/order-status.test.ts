import { canTransition, OrderStatuses } from './order-status';

describe('order status transitions', () => {
  it('accepted orders can be fulfilled', () => {
    expect(canTransition('accepted', 'fulfilled')).toBe(true);
  });
  it('fulfilled is final and no state transitions to itself', () => {
    for (const to of OrderStatuses) expect(canTransition('fulfilled', to)).toBe(false);
    for (const s of OrderStatuses) expect(canTransition(s, s)).toBe(false);
  });
});
