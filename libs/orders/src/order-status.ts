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

/** Where a status sits on the order's path (accepted 0, fulfilled 1): later changes rank higher. */
export function statusRank(status: OrderStatus): number {
  return OrderStatuses.indexOf(status);
}

/** True when no change can follow `status` (an order's event stream ends there). */
export function isFinalStatus(status: OrderStatus): boolean {
  return transitions[status].length === 0;
}
