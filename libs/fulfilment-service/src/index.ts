/** The consumer service as a module, for compositions such as the one-process topology (apps/all-in-one). */
export { loadConsumerConfig } from './config';
export type { ConsumerConfig } from './config';
export { buildConsumerService, consumerComponents } from './service';
export type { ConsumerParts } from './service';
