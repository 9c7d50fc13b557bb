/** The gateway service as a module, for compositions such as the one-process topology (apps/all-in-one). */
export { loadGatewayConfig } from './config';
export type { GatewayConfig } from './config';
export { buildGatewayService, gatewayComponents } from './service';
export type { GatewayParts } from './service';
export { InProcessOrderClient } from './in-process-order-client';
export type { InProcessOrderClientOptions, InProcessOrderTarget } from './in-process-order-client';
export type { OrderService, OrderServiceResponse } from './order-service';
