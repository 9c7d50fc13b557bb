export { loadOrderConfig } from './config';
export type { OrderConfig } from './config';
export { composeOrder, orderService } from './service';
export type { OrderComposition } from './service';
