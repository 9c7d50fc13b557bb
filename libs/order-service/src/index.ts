/** The order service as a module, for compositions such as the one-process topology (apps/all-in-one). */
export { loadOrderConfig } from './config';
export type { OrderConfig } from './config';
export { buildOrderService, composeOrder, orderComponents } from './service';
export type { OrderComposition, OrderParts } from './service';
