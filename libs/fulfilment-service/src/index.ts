export { loadConsumerConfig } from './config';
export type { ConsumerConfig } from './config';
export { consumerComponents, consumerService } from './service';
