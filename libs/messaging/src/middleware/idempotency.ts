import type { KV } from '@nats-io/kv';
import type { Middleware } from './middleware';

/** Remembers which messages were processed. */
export interface ProcessedStore {
  has(key: string): Promise<boolean>;
  add(key: string): Promise<void>;
}

/**
 * Processed ids in a JetStream KV bucket (give the bucket a `max_age` as long as
 * redeliveries can happen). Survives restarts and is shared by every replica.
 */
export class KvProcessedStore implements ProcessedStore {
  constructor(private readonly kv: KV) {}

  async has(key: string): Promise<boolean> {
    const entry = await this.kv.get(kvKey(key));
    return entry !== null && entry.operation === 'PUT';
  }

  async add(key: string): Promise<void> {
    await this.kv.put(kvKey(key), '1');
  }
}

/** KV keys allow only `[-/_=.a-zA-Z0-9]`; base64url keeps any id unique and valid. */
function kvKey(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url') || '_';
}

/**
 * Skips (and acks) a message whose id was already processed, and records the id after a
 * successful run. The id is `Nats-Msg-Id`, or `<stream>:<sequence>` without one. This
 * protects against redelivery of work whose ack was lost; handlers that change state
 * should still be idempotent themselves (compare-and-set), because a crash between the
 * work and `add` runs the work again.
 */
export function idempotency(store: ProcessedStore): Middleware {
  return (next) => async (delivery) => {
    const key = delivery.msgId ?? `${delivery.stream}:${delivery.streamSequence}`;
    if (await store.has(key)) {
      delivery.logger.info({ key }, 'already processed; acking without running the handler');
      return { action: 'ack', skipped: true };
    }
    const outcome = await next(delivery);
    if (outcome.action === 'ack' && !outcome.skipped) await store.add(key);
    return outcome;
  };
}
