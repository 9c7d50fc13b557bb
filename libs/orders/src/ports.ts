import type { Order } from './order';

/** A stored order with what is needed to tell a retry from a conflict. */
export interface StoredOrder {
  readonly order: Order;
  readonly fingerprint: string;
  /** Opaque revision for compare-and-set updates. */
  readonly revision: number;
}

/** Where orders live (the order service's read model). */
export interface OrderRepository {
  get(id: string): Promise<StoredOrder | undefined>;
  /** Stores a new order; `false` when one with this id already exists. */
  create(order: Order, fingerprint: string): Promise<boolean>;
  /** Replaces the order if it is still at `revision`; `false` when someone else changed it first. */
  replace(order: Order, fingerprint: string, revision: number): Promise<boolean>;
}

/** What publishing `orders.created` tells the use case. */
export type CreatedEventResult =
  | { readonly duplicate: false }
  /** The event was already stored (a retry): the stored event's order and fingerprint. */
  | { readonly duplicate: true; readonly order: Order; readonly fingerprint: string };

/** Publishes order events; resolves only once JetStream stored them, otherwise throws. */
export interface OrderEvents {
  created(order: Order, fingerprint: string): Promise<CreatedEventResult>;
}
