export { ConsumerRunner, DeadLetterHeaders, publishDeadLetter } from './consumer-runner.component';
export type { ConsumerRunnerOptions, DeadLetter, MessageContext, MessageHandler } from './consumer-runner.component';
export { deadLetterFromAdvisory, MaxDeliveriesAdvisory, maxDeliveriesEvent } from './max-deliveries';
export {
  describePermissionViolation,
  EventNotStoredError,
  EventValidationError,
  isNatsUnavailable,
  PermanentError,
  permissionViolationOf,
  SchemaViolationError,
  SubjectSequenceMismatchError,
  TopologyConflictError,
  TopologyShrinkError,
} from './errors';
export { EventCodec } from './event-codec';
export type { EventType } from './event-codec';
export { connectOnce, natsEnvProperties, toNatsSettings } from './nats-config';
export type { NatsSettings } from './nats-config';
export { DEAD_CONNECTION, NatsConnectionComponent, redactServerUrl } from './nats-connection.component';
export type { NatsConnectionOptions, PermissionViolationNotice } from './nats-connection.component';
export { Publisher } from './publisher';
export type { PublisherOptions, PublishOptions } from './publisher';
export { ensureTopology } from './topology';
export type { BucketSpec, ConsumerSpec, StreamSpec, TopologyChange, TopologySpec } from './topology';
export { deadLetter } from './middleware/dead-letter';
export { messagingMetrics, metrics } from './middleware/metrics';
export type { MessagingMetrics } from './middleware/metrics';
export type { Delivery, Middleware, Outcome, Processor } from './middleware/middleware';
export { retry } from './middleware/retry';
export type { BrokerState } from './middleware/wait-for-broker';
export { tracing } from './middleware/tracing';
export { TopologyComponent } from './topology.component';
export { splitBucket, splitOwner, StreamSplit, versionSplit } from './stream-split';
export type { SplitInForce, SplitVersion, SplitWeights, StreamSplitOptions } from './stream-split';
