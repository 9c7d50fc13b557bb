/** The states of an order (SPEC §3). */
export const OrderStatuses = ['accepted', 'fulfilled'] as const;
export type OrderStatus = (typeof OrderStatuses)[number];

const transitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  accepted: ['fulfilled'],
  fulfilled: [],
};

/** True when an order may move from `from` to `to`; staying in the same state is not a transition. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return transitions[from].includes(to);
}
