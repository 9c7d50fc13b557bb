export { canTransition, OrderStatuses } from './order-status';
export type { OrderStatus } from './order-status';
