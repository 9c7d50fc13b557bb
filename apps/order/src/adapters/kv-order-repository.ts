import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Order, OrderRepository, StoredOrder } from '@tandem/orders';

/** Orders in the JetStream KV bucket `orders`, one key per order id, with CAS on the revision. */
export class KvOrderRepository implements OrderRepository {
  constructor(private readonly bucket: () => Promise<KV>) {}

  async get(id: string): Promise<StoredOrder | undefined> {
    const entry = await (await this.bucket()).get(id);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const value = entry.json<{ order: Order; fingerprint: string }>();
    return { order: value.order, fingerprint: value.fingerprint, revision: entry.revision };
  }

  async create(order: Order, fingerprint: string): Promise<boolean> {
    try {
      await (await this.bucket()).create(order.id, JSON.stringify({ order, fingerprint }));
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw error;
    }
  }

  async replace(order: Order, fingerprint: string, revision: number): Promise<boolean> {
    try {
      await (await this.bucket()).update(order.id, JSON.stringify({ order, fingerprint }), revision);
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
