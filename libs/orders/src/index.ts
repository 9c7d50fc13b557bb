export { fulfil, newOrder, orderIdFor, requestFingerprint } from './order';
export type { NewOrderContext, Order } from './order';
export { canTransition, OrderStatuses } from './order-status';
export type { OrderStatus } from './order-status';
