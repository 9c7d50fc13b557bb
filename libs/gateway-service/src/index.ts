export { loadGatewayConfig } from './config';
export type { GatewayConfig } from './config';
export { gatewayComponents, gatewayService } from './service';
export type { GatewayParts } from './service';
export { InProcessOrderClient } from './in-process-order-client';
export type { InProcessOrderClientOptions, InProcessOrderTarget } from './in-process-order-client';
export type { OrderService, OrderServiceResponse } from './order-service';
