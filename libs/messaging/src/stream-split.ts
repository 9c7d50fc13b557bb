import { jetstreamManager, type JetStreamManager, type MsgRequest } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Static, TSchema } from 'typebox';
import { isBrokerUnavailable, NotConnectedError } from './errors';
import { EventCodec, type EventType } from './event-codec';
import { backoffDelay, DEFAULT_BACKOFF, delay } from '@tandem/runtime';
import type { Middleware } from './middleware/middleware';

/** The two versions a split shares messages between: the stable one and the canary. */
export type SplitVersion = 'v1' | 'v2';

/** Shares in whole percent; `v1 + v2 = 100`. */
export interface SplitWeights {
  readonly v1: number;
  readonly v2: number;
}

/** A split as it stands for one message: the weights and the sequence of the split message that set them (0: none yet). */
export interface SplitInForce {
  readonly weights: SplitWeights;
  readonly since: number;
}

/** Before any split message: everything to v1. */
const ALL_TO_V1: SplitInForce = Object.freeze({ weights: Object.freeze({ v1: 100, v2: 0 }), since: 0 });

/**
 * The bucket of a key, 0..99: FNV-1a (32 bit) of its UTF-8 bytes, modulo 100. Fixed for ever:
 * every version, the CLI and the tests must agree on it.
 */
export function splitBucket(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

/**
 * Which version owns `key` under `weights`: buckets below the v2 share go to v2. Raising
 * the share only moves keys from v1 to v2, never back (as a growing canary should).
 */
export function splitOwner(key: string, weights: SplitWeights): SplitVersion {
  return splitBucket(key) < weights.v2 ? 'v2' : 'v1';
}

export interface StreamSplitOptions<S extends TSchema> {
  /** Where to ask: a NatsConnectionComponent, or any holder of a connection (undefined while there is none). */
  readonly connection: { connection(): NatsConnection | undefined };
  /** The stream that holds both the split messages and the messages being split. */
  readonly stream: string;
  /** The split messages: their subject (a literal one) and body. */
  readonly event: EventType<S>;
  /** The weights a split message sets, or why it cannot be used (then it is ignored: the split before it stays). */
  readonly weightsOf: (value: Static<S>) => SplitWeights | string;
  readonly logger?: Logger;
}

/** The stream could not yet say which split was in force for a message it delivered (asked again later). */
export class SplitNotKnownYetError extends Error {
  constructor(stream: string, sequence: number) {
    super(`split of ${stream}: the stream does not reach sequence ${sequence} yet`);
    this.name = 'SplitNotKnownYetError';
  }
}

/**
 * A split of one stream's messages between two versions, written in the stream itself: the
 * split in force for the message at sequence `s` is the last valid split message stored
 * before `s` (docs/decisions/0018). Every version reads the same one for every message, at
 * whatever time and however often it is delivered, so each message has exactly one owner
 * while the weights move: nothing is handled twice and nothing by neither.
 *
 * What it knows of the split messages is complete up to a stream sequence; a message beyond
 * that refreshes it from the stream leader (stream info for the last sequence, then the split
 * messages after what it knows, one request when there is none), so a busy consumer asks about
 * once per batch, and concurrent callers share one refresh. The leader, not a replica: a
 * replica behind it could still lack a split message that a delivered message comes after.
 * Split messages are only ever added: one deleted by hand leaves running instances with what
 * they read (ADR 0018).
 */
export class StreamSplit<S extends TSchema> {
  private readonly codec: EventCodec<S>;
  /** Valid split messages in stream order, after the implicit "all to v1". */
  private readonly history: SplitInForce[] = [ALL_TO_V1];
  /** Every split message at or below this sequence is in `history` (or was invalid). */
  private completeThrough = 0;
  /** When the stream was created, as its info says: a new one voids what was known. */
  private created?: string;
  private refreshing?: Promise<void>;
  private jsm?: { nc: NatsConnection; jsm: JetStreamManager };

  constructor(private readonly options: StreamSplitOptions<S>) {
    this.codec = new EventCodec(options.event);
  }

  /** The split in force for the message stored at `sequence`. Throws while NATS cannot answer (the caller retries). */
  async inForceAt(sequence: number): Promise<SplitInForce> {
    for (let refreshes = 0; sequence - 1 > this.completeThrough; refreshes++) {
      // A stream that answers with a last sequence below a message it delivered (between
      // leaders) cannot say yet: the caller waits and asks again.
      if (refreshes === 2) throw new SplitNotKnownYetError(this.options.stream, sequence);
      this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    let found = ALL_TO_V1;
    for (const entry of this.history) {
      if (entry.since >= sequence) break;
      found = entry;
    }
    return found;
  }

  private async manager(): Promise<JetStreamManager> {
    const nc = this.options.connection.connection();
    if (!nc) throw new NotConnectedError();
    if (this.jsm?.nc !== nc) this.jsm = { nc, jsm: await jetstreamManager(nc) };
    return this.jsm.jsm;
  }

  private async refresh(): Promise<void> {
    const { stream, event } = this.options;
    const jsm = await this.manager();
    // First the stream's last sequence, then the split messages: any split message at or below
    // that sequence is stored by then and found below.
    const info = await jsm.streams.info(stream);
    const last = info.state.last_seq;
    // A stream deleted and declared again starts its sequences over: what was known is void.
    if (this.created !== undefined && this.created !== info.created) this.forget();
    this.created = info.created;
    let from = this.completeThrough + 1;
    for (;;) {
      // STREAM.MSG.GET takes `next_by_subj` (the first message on the subject at or after `seq`);
      // nats.js types it for direct get only.
      const query = { seq: from, next_by_subj: event.subject } as unknown as MsgRequest;
      const message = await jsm.streams.getMessage(stream, query);
      if (!message) break;
      this.record(message.seq, message.data);
      from = message.seq + 1;
    }
    this.completeThrough = Math.max(last, from - 1);
  }

  private forget(): void {
    this.history.splice(1);
    this.completeThrough = 0;
  }

  private record(seq: number, data: Uint8Array): void {
    const decoded = this.codec.decode(data);
    const weights = decoded.value === undefined ? decoded.problems.join('; ') : this.options.weightsOf(decoded.value);
    if (typeof weights === 'string') {
      // Every version ignores it alike, so the split before it stays in force for all of them.
      this.options.logger?.error(
        { stream: this.options.stream, seq, problem: weights },
        'split message ignored: the split before it stays',
      );
      return;
    }
    this.history.push(Object.freeze({ weights: Object.freeze({ v1: weights.v1, v2: weights.v2 }), since: seq }));
    this.options.logger?.info({ stream: this.options.stream, seq, weights }, 'split in force from this sequence on');
  }
}

/**
 * Handles only the messages `version` owns under the split in force for each (by subject);
 * acks the others unhandled (outcome `skipped`), for the
 * other version's consumer has them too.
 */
export function versionSplit<S extends TSchema>(split: StreamSplit<S>, version: SplitVersion): Middleware {
  return (next) => async (delivery) => {
    let weights: SplitWeights;
    for (let attempt = 0; ; attempt++) {
      try {
        weights = (await split.inForceAt(delivery.streamSequence)).weights;
        break;
      } catch (error) {
        // Without the split no one can say whose the message is: wait for NATS within this
        // delivery (an outage spends none), else hand it back. Never an error outcome that
        // could dead-letter a message the other version owns.
        const wait = backoffDelay(attempt, DEFAULT_BACKOFF);
        const waitable = isBrokerUnavailable(error) || error instanceof SplitNotKnownYetError;
        if (!waitable || delivery.signal.aborted) return { action: 'nak', delayMs: wait, error };
        try {
          await delay(wait, delivery.signal);
        } catch {
          return { action: 'nak', delayMs: wait, error };
        }
      }
    }
    if (splitOwner(delivery.subject, weights) !== version) return { action: 'ack', skipped: true };
    return next(delivery);
  };
}
