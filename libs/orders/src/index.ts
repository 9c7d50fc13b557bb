export { fulfil, newOrder, orderIdFor, requestFingerprint } from './order';
export type { NewOrderContext, Order } from './order';
export { canTransition, OrderStatuses } from './order-status';
export type { OrderStatus } from './order-status';
export { createOrder, fulfilOrder, IdempotencyConflictError, OrderNotFoundError } from './order-use-cases';
export type { CreateOrderCommand } from './order-use-cases';
export type { CreatedEventResult, OrderEvents, OrderRepository, StoredOrder } from './ports';
