import { jetstreamManager, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { eventMessageId, OrderEvents, orderSubject, Topology } from '@tandem/contracts';
import { EventCodec, SubjectSequenceMismatchError, type NatsConnectionComponent, type Publisher } from '@tandem/messaging';
import { createdEvent, orderFromEvents, type CreateResult, type Order, type OrderLog, type StoredOrder } from '@tandem/orders';
import type { NatsConnection } from '@nats-io/transport-node';
import { RuntimeError } from '@tandem/runtime';
import type { Static, TSchema } from 'typebox';
import { NATS_UNAVAILABLE, unavailableAs503 } from './nats-unavailable';

/** Header carrying the request fingerprint on `orders.created.<id>` (docs/decisions/0012). */
export const FINGERPRINT_HEADER = 'Tandem-Request-Fingerprint';

const created = new EventCodec(OrderEvents.created);
const fulfilled = new EventCodec(OrderEvents.fulfilled);

/**
 * Orders as their events in the `ORDERS` stream (docs/decisions/0012): no other store.
 * - create: one publish to `orders.created.<id>` expecting the subject to be empty
 *   (`Nats-Expected-Last-Subject-Sequence: 0`); when it is not, the stored event it names is
 *   read back (by sequence, from the stream leader) to tell a retry from a conflict.
 * - get: the last message of `orders.created.<id>` and `orders.fulfilled.<id>` by direct get
 *   (any replica answers); a missing `orders.created` is asked of the leader before it counts
 *   as absent, so a GET right after a 201 finds the order on any instance even when the
 *   replica that answered lags. The fulfilment is read by direct get only: a lagging replica
 *   may answer `accepted` for a moment after another answered `fulfilled`.
 * - latest: both subjects from the stream leader (for clients waiting on changes).
 * A call that cannot reach JetStream fails with `TANDEM_ERR_NATS_UNAVAILABLE` (→ 503).
 */
export class JetStreamOrderLog implements OrderLog {
  private readonly stream = Topology.ordersStream.name;
  private cached?: { readonly nc: NatsConnection; readonly jsm: JetStreamManager };

  constructor(
    private readonly publisher: Publisher,
    private readonly nats: NatsConnectionComponent,
  ) {}

  async create(order: Order, fingerprint: string): Promise<CreateResult> {
    try {
      const ack = await this.publisher.publish(OrderEvents.created, createdEvent(order), {
        subject: orderSubject('created', order.id),
        msgId: eventMessageId('created', order.id),
        headers: { [FINGERPRINT_HEADER]: fingerprint },
        expectLastSubjectSequence: 0,
      });
      if (!ack.duplicate) return { stored: true };
      // The same msg id inside the duplicate window (our publisher's retry after a lost PubAck,
      // or a concurrent request with the same key): the server names the message it stored.
      return { stored: false, existing: await this.storedAt(ack.seq, order.id) };
    } catch (error) {
      if (error instanceof SubjectSequenceMismatchError)
        return { stored: false, existing: await this.storedAt(error.lastSequence, order.id) };
      throw error;
    }
  }

  async get(id: string): Promise<Order | undefined> {
    return unavailableAs503('an order read', async () => {
      const jsm = await this.manager();
      const direct = (kind: 'created' | 'fulfilled') => jsm.direct.getMessage(this.stream, { last_by_subj: orderSubject(kind, id) });
      const [createdMsg, fulfilledMsg] = await Promise.all([direct('created'), direct('fulfilled')]);
      const createdBody =
        decode(created, createdMsg) ??
        decode(created, await jsm.streams.getMessage(this.stream, { last_by_subj: orderSubject('created', id) }));
      if (!createdBody) return undefined;
      return orderFromEvents(createdBody, decode(fulfilled, fulfilledMsg));
    });
  }

  async latest(id: string): Promise<Order | undefined> {
    return unavailableAs503('an order read', async () => {
      const jsm = await this.manager();
      const leader = (kind: 'created' | 'fulfilled') => jsm.streams.getMessage(this.stream, { last_by_subj: orderSubject(kind, id) });
      const [createdMsg, fulfilledMsg] = await Promise.all([leader('created'), leader('fulfilled')]);
      const createdBody = decode(created, createdMsg);
      return createdBody ? orderFromEvents(createdBody, decode(fulfilled, fulfilledMsg)) : undefined;
    });
  }

  /** The order stored at `seq` (its `orders.created`), read from the stream leader. */
  private async storedAt(seq: number, id: string): Promise<StoredOrder> {
    const message = await unavailableAs503('reading the stored orders.created', async () =>
      (await this.manager()).streams.getMessage(this.stream, { seq }),
    );
    // Gone between the refusal and this read (aged out): nothing to compare with; a retry decides.
    if (!message) throw new RuntimeError(NATS_UNAVAILABLE, `order ${id}: the stored orders.created (sequence ${seq}) is gone; retry`);
    const event = decode(created, message);
    // Something that is not this order holds its subject: the store is damaged, not the request (500).
    if (!event || event.orderId !== id) {
      throw new RuntimeError(
        'TANDEM_ERR_ORDER_UNREADABLE',
        `order ${id}: the stored orders.created (sequence ${seq}) cannot be read as one`,
      );
    }
    return { order: orderFromEvents(event), fingerprint: message.header?.get(FINGERPRINT_HEADER) ?? '' };
  }

  /** One manager per connection, without the account-info request `jetstreamManager()` makes by default (a round trip per call). */
  protected async manager(): Promise<JetStreamManager> {
    const nc = this.nats.connection();
    if (!nc) throw new RuntimeError(NATS_UNAVAILABLE, 'NATS is not connected');
    if (this.cached?.nc !== nc) this.cached = { nc, jsm: await jetstreamManager(nc, { checkAPI: false }) };
    return this.cached.jsm;
  }
}

/** A stored event's body, validated against its schema; undefined when absent or not a valid event. */
function decode<S extends TSchema>(codec: EventCodec<S>, message: StoredMsg | null): Static<S> | undefined {
  return message ? codec.decode(message.data).value : undefined;
}
