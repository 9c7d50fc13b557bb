import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { TopologyConflictError, TopologyShrinkError } from './errors';

/** A JetStream stream as data. */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly storage?: 'file' | 'memory';
  /** Window in which a repeated `Nats-Msg-Id` is dropped. Default 2 minutes (SPEC §4). */
  readonly duplicateWindowMs?: number;
  /** Messages older than this are removed; 0 keeps them for ever (default). */
  readonly maxAgeMs?: number;
  /** Bytes the stream keeps. Default unlimited (-1). */
  readonly maxBytes?: number;
  /**
   * What a full stream does: `old` (default) removes its oldest messages, `new` refuses new
   * ones (the publisher's error, e.g. a 503) and keeps what it holds.
   */
  readonly discard?: 'old' | 'new';
  /** Direct get: any replica answers reads of a subject's last message (`allow_direct`). Default false. */
  readonly allowDirect?: boolean;
}

/** A durable pull consumer as data. */
export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  /** Time the server waits for an ack before redelivering. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Deliveries before the server gives up on a message (the runner dead-letters at the last one). Default 5. */
  readonly maxDeliver?: number;
  /** Unacknowledged messages the server lets the consumer hold. Default 1000. */
  readonly maxAckPending?: number;
}

/** A JetStream KV bucket as data. */
export interface BucketSpec {
  readonly name: string;
  /** Values kept per key. Default 1. */
  readonly history?: number;
  /** Entries older than this are removed; 0 keeps them (default). */
  readonly ttlMs?: number;
}

/** What a service needs to exist on the server before it starts its work. */
export interface TopologySpec {
  readonly streams?: readonly StreamSpec[];
  readonly consumers?: readonly ConsumerSpec[];
  readonly buckets?: readonly BucketSpec[];
}

export const CONSUMER_DEFAULTS = Object.freeze({ ackWaitMs: 30_000, maxDeliver: 5, maxAckPending: 1_000 });

/**
 * Creates every declared stream and consumer, or updates it when it exists and differs in
 * a field that can change. A difference in a field that cannot change (storage,
 * retention, ack or deliver policy, filter subject) throws {@link TopologyConflictError}
 * naming the resource and field. Idempotent: running it twice changes nothing.
 */
export async function ensureTopology(nc: NatsConnection, spec: TopologySpec, options: { replicas: number }): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const stream of spec.streams ?? []) await ensureStream(jsm, stream, options.replicas);
  for (const consumer of spec.consumers ?? []) await ensureConsumer(jsm, consumer, options.replicas);
  for (const bucket of spec.buckets ?? []) await ensureBucket(nc, jsm, bucket, options.replicas);
}

async function ensureBucket(nc: NatsConnection, jsm: JetStreamManager, spec: BucketSpec, replicas: number): Promise<void> {
  const streamName = `KV_${spec.name}`;
  const existing = await jsm.streams.info(streamName).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw error;
  });
  const history = spec.history ?? 1;
  if (existing && existing.config.max_msgs_per_subject !== history) {
    throw new TopologyConflictError('bucket', spec.name, 'history', existing.config.max_msgs_per_subject, history);
  }
  if (!existing) await new Kvm(nc).create(spec.name, { history, ttl: spec.ttlMs ?? 0, replicas });
}

function streamConfig(spec: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
    retention: RetentionPolicy.Limits,
    duplicate_window: nanos(spec.duplicateWindowMs ?? 120_000),
    max_age: nanos(spec.maxAgeMs ?? 0),
    max_bytes: spec.maxBytes ?? -1,
    discard: spec.discard === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
    allow_direct: spec.allowDirect ?? false,
    num_replicas: replicas,
  };
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas: number): Promise<StreamInfo> {
  const wanted = streamConfig(spec, replicas);
  let existing: StreamInfo;
  try {
    existing = await jsm.streams.info(spec.name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return jsm.streams.add(wanted);
    throw error;
  }
  const config = existing.config;
  for (const field of ['storage', 'retention'] as const) {
    if (config[field] !== wanted[field]) throw new TopologyConflictError('stream', spec.name, field, config[field], wanted[field]);
  }
  const changed =
    JSON.stringify([...config.subjects].sort()) !== JSON.stringify([...(wanted.subjects ?? [])].sort()) ||
    config.duplicate_window !== wanted.duplicate_window ||
    config.max_age !== wanted.max_age ||
    config.max_bytes !== wanted.max_bytes ||
    config.discard !== wanted.discard ||
    Boolean(config.allow_direct) !== wanted.allow_direct ||
    config.num_replicas !== wanted.num_replicas;
  if (!changed) return existing;
  // The server enforces a lowered byte limit at once by deleting the oldest messages, whatever
  // the discard policy: never let a declaration do that to stored orders or dead letters.
  const bytes = existing.state.bytes;
  if (wanted.max_bytes !== undefined && wanted.max_bytes > 0 && bytes > wanted.max_bytes) {
    throw new TopologyShrinkError(spec.name, bytes, wanted.max_bytes);
  }
  return jsm.streams.update(spec.name, { ...config, ...wanted });
}

function consumerConfig(spec: ConsumerSpec, replicas: number): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    filter_subject: spec.filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs ?? CONSUMER_DEFAULTS.ackWaitMs),
    max_deliver: spec.maxDeliver ?? CONSUMER_DEFAULTS.maxDeliver,
    max_ack_pending: spec.maxAckPending ?? CONSUMER_DEFAULTS.maxAckPending,
    num_replicas: replicas,
  };
}

async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec, replicas: number): Promise<ConsumerInfo> {
  const wanted = consumerConfig(spec, replicas);
  let existing: ConsumerInfo;
  try {
    existing = await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)
      return jsm.consumers.add(spec.stream, wanted);
    throw error;
  }
  const config = existing.config;
  for (const field of ['ack_policy', 'deliver_policy', 'filter_subject'] as const) {
    if (config[field] !== wanted[field])
      throw new TopologyConflictError('consumer', `${spec.stream}/${spec.durable}`, field, config[field], wanted[field]);
  }
  const mutable = ['ack_wait', 'max_deliver', 'max_ack_pending'] as const;
  const differs = mutable.filter((field) => config[field] !== wanted[field]);
  if (differs.length === 0) return existing;
  try {
    return await jsm.consumers.update(spec.stream, spec.durable, Object.fromEntries(differs.map((f) => [f, wanted[f]])));
  } catch (error) {
    const field = differs[0] as (typeof mutable)[number];
    throw new TopologyConflictError('consumer', `${spec.stream}/${spec.durable}`, field, config[field], wanted[field], error);
  }
}
