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
  /** `limits` (default) keeps messages until a limit removes them; `workqueue` removes each once acknowledged. */
  readonly retention?: 'limits' | 'workqueue';
  /**
   * Honour a message's own `Nats-TTL` header (`allow_msg_ttl`, NATS 2.11+), e.g. `never` for one
   * that must outlive max_age. Default false. The server never turns it off again.
   */
  readonly allowMsgTtl?: boolean;
}

/** A durable pull consumer as data. */
export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  /** Time the server waits for an ack before redelivering. Default 30 s. */
  readonly ackWaitMs?: number;
  /** Deliveries before the server gives up on a message (the runner dead-letters at the last one); -1 for no limit. Default 5. */
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

/** What {@link ensureTopology} did to one resource. */
export interface TopologyChange {
  readonly kind: 'stream' | 'consumer' | 'bucket';
  /** `ORDERS`, `ORDERS/fulfilment`, a bucket's name. */
  readonly name: string;
  readonly action: 'created' | 'updated' | 'unchanged';
}

/**
 * Creates every declared stream and consumer, or updates it when it exists and differs in
 * a field that can change. A difference in a field that cannot change (storage,
 * retention, ack or deliver policy) throws {@link TopologyConflictError}
 * naming the resource and field. Idempotent: running it twice changes nothing. Needs the
 * rights to create and update (the administrative identity, or an open server).
 */
export async function ensureTopology(
  nc: NatsConnection,
  spec: TopologySpec,
  options: {
    replicas: number;
    /** Change nothing: report what would be created or updated (and throw what would be refused). */
    dryRun?: boolean;
  },
): Promise<TopologyChange[]> {
  const jsm = await jetstreamManager(nc);
  const apply = !options.dryRun;
  const changes: TopologyChange[] = [];
  for (const stream of spec.streams ?? [])
    changes.push({ kind: 'stream', name: stream.name, action: await ensureStream(jsm, stream, options.replicas, apply) });
  for (const consumer of spec.consumers ?? [])
    changes.push({
      kind: 'consumer',
      name: `${consumer.stream}/${consumer.durable}`,
      action: await ensureConsumer(jsm, consumer, options.replicas, apply),
    });
  for (const bucket of spec.buckets ?? [])
    changes.push({ kind: 'bucket', name: bucket.name, action: await ensureBucket(nc, jsm, bucket, options.replicas, apply) });
  return changes;
}

/**
 * What a service that may not declare its topology checks before it works: that every
 * stream, consumer and bucket exists, in the shape the service's code relies on (subjects,
 * storage, retention, direct get; a consumer's filter subject and policies). Limits and
 * timings (bytes, age, max_deliver, ack_wait, replicas) are the declaration's to choose and
 * are not compared. Returns one line per problem; empty when all is there. Needs only the
 * rights to look (stream and consumer info).
 */
export async function checkTopology(nc: NatsConnection, spec: TopologySpec): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const problems: string[] = [];
  for (const stream of spec.streams ?? []) {
    const info = await infoOrUndefined(() => jsm.streams.info(stream.name), JetStreamApiCodes.StreamNotFound);
    if (!info) {
      problems.push(`stream ${stream.name} does not exist`);
      continue;
    }
    const wanted = streamConfig(stream, info.config.num_replicas);
    for (const field of ['storage', 'retention'] as const)
      if (info.config[field] !== wanted[field])
        problems.push(`stream ${stream.name}: ${field} is ${info.config[field]}, not ${wanted[field]}`);
    const has = [...info.config.subjects].sort().join(', ');
    const needs = [...stream.subjects].sort().join(', ');
    if (has !== needs) problems.push(`stream ${stream.name}: subjects are [${has}], not [${needs}]`);
    if (Boolean(info.config.allow_direct) !== wanted.allow_direct)
      problems.push(`stream ${stream.name}: allow_direct is ${Boolean(info.config.allow_direct)}, not ${wanted.allow_direct}`);
    if (Boolean(info.config.allow_msg_ttl) !== wanted.allow_msg_ttl)
      problems.push(`stream ${stream.name}: allow_msg_ttl is ${Boolean(info.config.allow_msg_ttl)}, not ${wanted.allow_msg_ttl}`);
  }
  for (const consumer of spec.consumers ?? []) {
    const name = `${consumer.stream}/${consumer.durable}`;
    const info = await infoOrUndefined(() => jsm.consumers.info(consumer.stream, consumer.durable), JetStreamApiCodes.ConsumerNotFound);
    if (!info) {
      // A consumer info on a missing stream answers "stream not found".
      if (!problems.includes(`stream ${consumer.stream} does not exist`)) problems.push(`consumer ${name} does not exist`);
      continue;
    }
    const wanted = consumerConfig(consumer, 1);
    for (const field of ['ack_policy', 'deliver_policy', 'filter_subject'] as const)
      if (info.config[field] !== wanted[field]) problems.push(`consumer ${name}: ${field} is ${info.config[field]}, not ${wanted[field]}`);
  }
  for (const bucket of spec.buckets ?? []) {
    const info = await infoOrUndefined(() => jsm.streams.info(`KV_${bucket.name}`), JetStreamApiCodes.StreamNotFound);
    if (!info) problems.push(`bucket ${bucket.name} does not exist`);
  }
  return problems;
}

async function infoOrUndefined<T>(read: () => Promise<T>, notFound: number): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof JetStreamApiError && (error.code === notFound || error.code === JetStreamApiCodes.StreamNotFound))
      return undefined;
    throw error;
  }
}

async function ensureBucket(
  nc: NatsConnection,
  jsm: JetStreamManager,
  spec: BucketSpec,
  replicas: number,
  apply: boolean,
): Promise<TopologyChange['action']> {
  const streamName = `KV_${spec.name}`;
  const existing = await jsm.streams.info(streamName).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
    throw error;
  });
  const history = spec.history ?? 1;
  if (existing && existing.config.max_msgs_per_subject !== history) {
    throw new TopologyConflictError('bucket', spec.name, 'history', existing.config.max_msgs_per_subject, history);
  }
  if (existing) return 'unchanged';
  if (apply) await new Kvm(nc).create(spec.name, { history, ttl: spec.ttlMs ?? 0, replicas });
  return 'created';
}

function streamConfig(spec: StreamSpec, replicas: number): Partial<StreamConfig> & { name: string } {
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    storage: spec.storage === 'memory' ? StorageType.Memory : StorageType.File,
    retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    duplicate_window: nanos(spec.duplicateWindowMs ?? 120_000),
    max_age: nanos(spec.maxAgeMs ?? 0),
    max_bytes: spec.maxBytes ?? -1,
    discard: spec.discard === 'new' ? DiscardPolicy.New : DiscardPolicy.Old,
    allow_direct: spec.allowDirect ?? false,
    allow_msg_ttl: spec.allowMsgTtl ?? false,
    num_replicas: replicas,
  };
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, replicas: number, apply: boolean): Promise<TopologyChange['action']> {
  const wanted = streamConfig(spec, replicas);
  let existing: StreamInfo;
  try {
    existing = await jsm.streams.info(spec.name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      if (apply) await jsm.streams.add(wanted);
      return 'created';
    }
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
    Boolean(config.allow_msg_ttl) !== wanted.allow_msg_ttl ||
    config.num_replicas !== wanted.num_replicas;
  if (!changed) return 'unchanged';
  // The server enforces a lowered byte limit at once by deleting the oldest messages, whatever
  // the discard policy: never let a declaration do that to stored orders or dead letters.
  const bytes = existing.state.bytes;
  if (wanted.max_bytes !== undefined && wanted.max_bytes > 0 && bytes > wanted.max_bytes) {
    throw new TopologyShrinkError(spec.name, bytes, wanted.max_bytes);
  }
  if (apply) await jsm.streams.update(spec.name, { ...config, ...wanted });
  return 'updated';
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

async function ensureConsumer(
  jsm: JetStreamManager,
  spec: ConsumerSpec,
  replicas: number,
  apply: boolean,
): Promise<TopologyChange['action']> {
  const wanted = consumerConfig(spec, replicas);
  let existing: ConsumerInfo;
  try {
    existing = await jsm.consumers.info(spec.stream, spec.durable);
  } catch (error) {
    // (a missing stream answers StreamNotFound: only in a dry run, where it was not created first)
    if (
      error instanceof JetStreamApiError &&
      (error.code === JetStreamApiCodes.ConsumerNotFound || (!apply && error.code === JetStreamApiCodes.StreamNotFound))
    ) {
      if (apply) await jsm.consumers.add(spec.stream, wanted);
      return 'created';
    }
    throw error;
  }
  const config = existing.config;
  for (const field of ['ack_policy', 'deliver_policy'] as const) {
    if (config[field] !== wanted[field])
      throw new TopologyConflictError('consumer', `${spec.stream}/${spec.durable}`, field, config[field], wanted[field]);
  }
  // The filter can change in place (NATS 2.10+): the consumer keeps its position and goes on
  // with the messages after it that match the new filter.
  const mutable = ['filter_subject', 'ack_wait', 'max_deliver', 'max_ack_pending'] as const;
  const differs = mutable.filter((field) => config[field] !== wanted[field]);
  if (differs.length === 0) return 'unchanged';
  if (!apply) return 'updated';
  try {
    await jsm.consumers.update(spec.stream, spec.durable, Object.fromEntries(differs.map((f) => [f, wanted[f]])));
    return 'updated';
  } catch (error) {
    // The server refused the change itself; a timeout or a missing leader is not a conflict.
    if (!(error instanceof JetStreamApiError)) throw error;
    const field = differs[0] as (typeof mutable)[number];
    throw new TopologyConflictError('consumer', `${spec.stream}/${spec.durable}`, field, config[field], wanted[field], error);
  }
}
