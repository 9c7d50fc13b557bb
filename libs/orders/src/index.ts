export { createdEvent, fulfil, MIN_ORDER_ID_SECRET_LENGTH, newOrder, orderFromEvents, orderIdFor, requestFingerprint } from './order';
export type { NewOrderContext, Order } from './order';
export { canTransition, isFinalStatus, OrderStatuses, statusRank } from './order-status';
export type { OrderStatus } from './order-status';
export { createOrder, IdempotencyConflictError } from './order-use-cases';
export type { CreateOrderCommand, OrderIdSource } from './order-use-cases';
export type { CreateResult, OrderLog, StoredOrder } from './ports';
