export { deadLetterSubject, fulfilmentConsumerOf, MeshRoutingHeaders, orderSubject, Subjects, TandemTopology, Topology } from './subjects';
export type { EventSubject } from './subjects';
export { eventMessageId, OrderCreatedV1, OrderEvents, OrderFulfilledV1 } from './orders.events';
export {
  CreateOrderRequest,
  CustomerId,
  IdempotencyHeaders,
  OrderIdParams,
  OrderEventsHeaders,
  OrderEventStreamResponse,
  OrderId,
  OrderResponse,
  OrderStatusSchema,
  Problem,
  Quantity,
  Sku,
} from './orders.schemas';
export { Problems } from './problems';
export type { ProblemType } from './problems';
export {
  FulfilmentSplitEvent,
  FulfilmentSplitReadEvent,
  FulfilmentSplitSubject,
  FulfilmentSplitV1,
  fulfilmentSplitWeights,
  FulfilmentVersions,
} from './canary';
export type { FulfilmentVersion } from './canary';
