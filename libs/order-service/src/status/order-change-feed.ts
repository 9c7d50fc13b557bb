import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { orderSubject } from '@tandem/contracts';
import type { NatsConnectionComponent } from '@tandem/messaging';
import { RuntimeError, type Component, type ComponentHealth, type StartContext } from '@tandem/runtime';
import type { Logger } from 'pino';
import { NATS_UNAVAILABLE } from '../adapters/nats-unavailable';

/** Why a watcher is asked to look at its order again. */
export type ChangeHint = 'message' | 'reconnect';

interface Watched {
  readonly subscription: Subscription;
  readonly listeners: Set<(hint: ChangeHint) => void>;
}

/**
 * Tells the order service's waiting clients when their order may have changed: the consumer
 * beside the order API in the same process (docs/decisions/0014). While at least one client
 * waits on an order, the process subscribes to that order's `orders.fulfilled.<id>` (one
 * subscription per order, however many wait); with nobody waiting it receives nothing at all.
 *
 * A message is a hint, never the truth: the listener re-reads the order from the stream, so a
 * change is announced only once JetStream holds it. A reconnect (messages may have gone by
 * while disconnected) hints every watcher, and so does a new connection.
 */
export class OrderChangeFeed implements Component {
  readonly name: string;
  readonly dependsOn: readonly string[];
  private readonly watched = new Map<string, Watched>();
  private running = false;
  private boundTo?: NatsConnection;
  private rebind?: NodeJS.Timeout;
  private logger?: Logger;

  constructor(
    private readonly nats: NatsConnectionComponent,
    options: { readonly name?: string } = {},
  ) {
    this.name = options.name ?? 'order-changes';
    this.dependsOn = [nats.name];
  }

  async start(context: StartContext): Promise<void> {
    this.logger = context.logger;
    this.running = true;
    // A restarted connection component brings a new connection: move the subscriptions to it.
    this.rebind = setInterval(() => {
      const nc = this.nats.connection();
      if (nc && nc !== this.boundTo) this.bind(nc);
    }, 1_000);
    this.rebind.unref();
  }

  /**
   * Starts watching order `id`. Resolves once the server holds the interest, so a change stored
   * after this is hinted; the caller reads the order only then. Returns the release function.
   * Throws `TANDEM_ERR_NATS_UNAVAILABLE` (→ 503) while NATS is unreachable.
   */
  async watch(id: string, listener: (hint: ChangeHint) => void): Promise<() => void> {
    const nc = this.nats.connection();
    if (!this.running || !nc) throw new RuntimeError(NATS_UNAVAILABLE, 'NATS is not connected: cannot watch the order');
    if (nc !== this.boundTo) this.bind(nc);
    let entry = this.watched.get(id);
    if (!entry) {
      entry = { subscription: this.subscribe(nc, id), listeners: new Set() };
      this.watched.set(id, entry);
    }
    entry.listeners.add(listener);
    const release = (): void => {
      const current = this.watched.get(id);
      if (!current?.listeners.delete(listener) || current.listeners.size > 0) return;
      this.watched.delete(id);
      current.subscription.unsubscribe();
    };
    try {
      await nc.flush();
    } catch (error) {
      release();
      throw new RuntimeError(NATS_UNAVAILABLE, `NATS unavailable while watching order ${id}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    // The server refuses a subscription (permissions) before it answers the flush. (A new
    // connection bound meanwhile has replaced the entry's subscription: look it up again.)
    if (this.watched.get(id)?.subscription.isClosed() ?? true) {
      release();
      throw new RuntimeError(NATS_UNAVAILABLE, `NATS refused the subscription to ${orderSubject('fulfilled', id)}`);
    }
    return release;
  }

  /** Orders with at least one waiting client. */
  get size(): number {
    return this.watched.size;
  }

  health(): ComponentHealth {
    return { ready: this.running, detail: `${this.watched.size} order(s) watched` };
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.rebind);
    for (const entry of this.watched.values()) entry.subscription.unsubscribe();
    this.watched.clear();
    this.boundTo = undefined;
  }

  private subscribe(nc: NatsConnection, id: string): Subscription {
    return nc.subscribe(orderSubject('fulfilled', id), {
      callback: (error) => {
        if (error) this.logger?.error({ err: error, orderId: id }, 'order change subscription failed');
        else this.hint(id, 'message');
      },
    });
  }

  private hint(id: string, hint: ChangeHint): void {
    for (const listener of this.watched.get(id)?.listeners ?? []) listener(hint);
  }

  private bind(nc: NatsConnection): void {
    const previous = this.boundTo;
    this.boundTo = nc;
    if (previous) {
      for (const [id, entry] of this.watched) {
        entry.subscription.unsubscribe();
        this.watched.set(id, { subscription: this.subscribe(nc, id), listeners: entry.listeners });
      }
      this.hintAll('reconnect');
    }
    void (async () => {
      for await (const status of nc.status()) {
        if (this.boundTo !== nc) break;
        if (status.type === 'reconnect') this.hintAll('reconnect');
      }
    })().catch(() => undefined);
  }

  private hintAll(hint: ChangeHint): void {
    for (const id of [...this.watched.keys()]) this.hint(id, hint);
  }
}
