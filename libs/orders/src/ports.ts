import type { Order } from './order';

/** A stored order with what tells a retry (same body) from a conflict (another body under the same key). */
export interface StoredOrder {
  readonly order: Order;
  /** The request fingerprint stored with the order's `orders.created`. */
  readonly fingerprint: string;
}

/** What storing a new order tells the use case. */
export type CreateResult =
  | { readonly stored: true }
  /** The order's subject already holds its `orders.created` (a retry, or the same key with another body): what is stored. */
  | { readonly stored: false; readonly existing: StoredOrder };

/**
 * Where orders live: their events in JetStream, nothing else (docs/decisions/0012). One
 * write creates an order; reads take the last message of the order's subjects.
 */
export interface OrderLog {
  /**
   * Stores the order's `orders.created` unless its subject already holds one, with the request
   * fingerprint; resolves once JetStream stored it (or found it there), otherwise throws.
   */
  create(order: Order, fingerprint: string): Promise<CreateResult>;
  /** The order as its events tell it now, or undefined when there is none (read-your-writes on any instance). */
  get(id: string): Promise<Order | undefined>;
  /**
   * The order as the stream's leader holds it now: never behind a change already stored, at
   * the cost of always asking the leader (for clients waiting on the order's changes).
   */
  latest(id: string): Promise<Order | undefined>;
}
