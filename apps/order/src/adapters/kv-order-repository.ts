import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnectionComponent } from '@tandem/messaging';
import { RuntimeError } from '@tandem/runtime';
import type { Order, OrderRepository, StoredOrder } from '@tandem/orders';
import { NATS_UNAVAILABLE, unavailableAs503 } from './nats-unavailable';

/**
 * Orders in the JetStream KV bucket `orders`, one key per order id, with CAS on the
 * revision. A call that cannot reach JetStream (disconnected, or the broker died while it
 * was in flight) fails with `TANDEM_ERR_NATS_UNAVAILABLE` (→ 503).
 */
export class KvOrderRepository implements OrderRepository {
  constructor(private readonly bucket: () => Promise<KV>) {}

  /**
   * Over the process's NATS connection: the bucket is opened on first use and reopened
   * after a failure; while NATS is disconnected every call fails with
   * `TANDEM_ERR_NATS_UNAVAILABLE` (→ 503) instead of waiting.
   */
  static overConnection(nats: NatsConnectionComponent, bucketName: string): KvOrderRepository {
    let bucket: Promise<KV> | undefined;
    return new KvOrderRepository(() => {
      const nc = nats.connection();
      if (!nc) return Promise.reject(new RuntimeError(NATS_UNAVAILABLE, 'NATS is not connected'));
      bucket ??= new Kvm(nc).open(bucketName).catch((error: unknown) => {
        bucket = undefined;
        throw error;
      });
      return bucket;
    });
  }

  async get(id: string): Promise<StoredOrder | undefined> {
    const entry = await unavailableAs503('an order read', async () => (await this.bucket()).get(id));
    if (!entry || entry.operation !== 'PUT') return undefined;
    const value = entry.json<{ order: Order; fingerprint: string }>();
    return { order: value.order, fingerprint: value.fingerprint, revision: entry.revision };
  }

  async create(order: Order, fingerprint: string): Promise<boolean> {
    try {
      await unavailableAs503('an order write', async () => (await this.bucket()).create(order.id, JSON.stringify({ order, fingerprint })));
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw error;
    }
  }

  async replace(order: Order, fingerprint: string, revision: number): Promise<boolean> {
    try {
      await unavailableAs503('an order update', async () =>
        (await this.bucket()).update(order.id, JSON.stringify({ order, fingerprint }), revision),
      );
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw error;
    }
  }
}

function isWrongLastSequence(error: unknown): boolean {
  if (error instanceof JetStreamApiError) {
    return error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  }
  return error instanceof Error && /wrong last sequence|key exists/i.test(error.message);
}
