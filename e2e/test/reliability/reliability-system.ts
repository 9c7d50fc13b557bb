import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { orderIdFor } from '@tandem/orders';
import { AppProcess, NatsCluster, NatsServer, TEST_ORDER_ID_SECRET, workspaceRoot } from '@tandem/testing';
import { formatAudit, settleAndAudit, type OrderAudit, type OrderStoreNames, type OrderStoreSnapshot } from '../support/order-audit';
import { OrderLoad, type LoadMark, type OrderAttempt, type OrderLoadOptions } from '../support/order-load';

export interface SystemOptions {
  /** One nats-server (default) or a 3-node JetStream cluster with `JETSTREAM_REPLICAS=3`. */
  readonly cluster?: boolean;
  readonly orderEnv?: Readonly<Record<string, string>>;
  readonly consumerEnv?: Readonly<Record<string, string>>;
}

/**
 * The whole order system as real processes for the reliability suite: nats-server (or a
 * 3-node cluster), order, consumer and gateway (the built bundles), plus a NATS
 * connection of the test's own for the audit. Every process and temp dir it made is
 * removed by `stop()`.
 */
export class ReliabilitySystem {
  readonly started = Date.now();
  /** Every service process started, stopped ones included (their logs go into {@link saveLogs}). */
  private readonly history: AppProcess[] = [];
  private constructor(
    readonly natsUrl: string,
    readonly nats: NatsServer | undefined,
    readonly cluster: NatsCluster | undefined,
    private readonly serviceEnv: Record<string, string>,
    /** Each service's own NATS identity (empty on the cluster, which runs without users). */
    private readonly identities: { readonly order: Record<string, string>; readonly consumer: Record<string, string> },
    private readonly options: SystemOptions,
    public order: AppProcess,
    public consumer: AppProcess,
    readonly gateway: AppProcess,
    public nc: NatsConnection,
  ) {
    this.history.push(order, consumer, gateway);
  }

  static async start(options: SystemOptions = {}): Promise<ReliabilitySystem> {
    let nats: NatsServer | undefined;
    let cluster: NatsCluster | undefined;
    const apps: AppProcess[] = [];
    try {
      // One server runs as in production: Tandem's users and permissions, the topology declared
      // by the admin identity (npm run nats:topology's program). The 3-node cluster has no users
      // (NatsCluster writes its own configs): there the services declare the topology themselves.
      if (options.cluster) cluster = await NatsCluster.start(3);
      else nats = await NatsServer.start({ accounts: true });
      const natsUrl = (cluster?.url ?? nats?.url) as string;
      const identities = {
        order: nats ? nats.clientEnv('order') : {},
        consumer: nats ? nats.clientEnv('consumer') : {},
      };
      const serviceEnv: Record<string, string> = {
        NATS_URL: natsUrl,
        JETSTREAM_REPLICAS: options.cluster ? '3' : '1',
        LOG_LEVEL: 'info',
      };
      const readyTimeoutMs = options.cluster ? 60_000 : 30_000;
      const order = await AppProcess.start('order', { env: { ...serviceEnv, ...identities.order, ...options.orderEnv }, readyTimeoutMs });
      apps.push(order);
      const consumer = await AppProcess.start('consumer', {
        env: { ...serviceEnv, ...identities.consumer, ...options.consumerEnv },
        readyTimeoutMs,
      });
      apps.push(consumer);
      // The gateway logs every request at info: warn keeps its CPU for the load.
      const gateway = await AppProcess.start('gateway', { env: { ORDER_URL: order.url, LOG_LEVEL: 'warn' } });
      apps.push(gateway);
      // The test's own connection (audit, stream info) is the admin's: it reads everything and
      // publishes no message.
      const nc = await connect({ servers: natsUrl.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 250, ...adminOf(nats) });
      return new ReliabilitySystem(natsUrl, nats, cluster, serviceEnv, identities, options, order, consumer, gateway, nc);
    } catch (error) {
      await Promise.all(apps.map((a) => a.stop('SIGKILL')));
      await nats?.cleanup();
      await cluster?.cleanup();
      throw error;
    }
  }

  /** Starts the order service again on the same port (the gateway's ORDER_URL), after it stopped. */
  async restartOrder(): Promise<AppProcess> {
    if (this.order.process.running) throw new Error('order is still running');
    this.order = await AppProcess.start('order', {
      env: { ...this.serviceEnv, ...this.identities.order, ...this.options.orderEnv, PORT: String(this.order.port) },
      readyTimeoutMs: 30_000,
    });
    this.history.push(this.order);
    return this.order;
  }

  /** Starts a new consumer process (the old one has stopped or died). */
  async restartConsumer(): Promise<AppProcess> {
    if (this.consumer.process.running) throw new Error('consumer is still running');
    this.consumer = await AppProcess.start('consumer', {
      env: { ...this.serviceEnv, ...this.identities.consumer, ...this.options.consumerEnv },
      readyTimeoutMs: 30_000,
    });
    this.history.push(this.consumer);
    return this.consumer;
  }

  /** Starts a load on the gateway with the suite's defaults (12 at once, 15 s per request). */
  load(options: Pick<OrderLoadOptions, 'orders' | 'keyPrefix'> & Partial<OrderLoadOptions>): OrderLoad {
    return OrderLoad.start({ baseUrl: this.gateway.url, concurrency: 12, requestTimeoutMs: 15_000, ...options });
  }

  /**
   * Waits for the system to settle, audits it, prints the summary line and returns the
   * audit (the caller asserts on it, after printing).
   */
  async audit(
    label: string,
    attempts: readonly OrderAttempt[],
    /** Extra figures for the summary line; a function is called once the system has settled. */
    extra: Record<string, string | number> | (() => Record<string, string | number>) = {},
    settleTimeoutMs = 60_000,
    /** The durables that must be idle before the audit. Default: fulfilment. */
    consumers?: OrderStoreNames['consumers'],
  ): Promise<{ audit: OrderAudit; store: OrderStoreSnapshot }> {
    const settleFrom = Date.now();
    const result = await settleAndAudit(this.nc, attempts, {
      idForKey: (key) => orderIdFor(key, TEST_ORDER_ID_SECRET),
      timeoutMs: settleTimeoutMs,
      ...(consumers ? { names: { consumers } } : {}),
    });
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const line = formatAudit(label, result.audit, {
      ...(typeof extra === 'function' ? extra() : extra),
      'settled in': seconds(Date.now() - settleFrom),
      'test took': seconds(Date.now() - this.started),
    });
    const lines = [line, ...result.audit.problems.map((p) => `  - ${p}`)];
    if (result.audit.problems.length > 0) lines.push(`  service logs: ${await this.saveLogs(label, result.store)}`);
    // One line per test, so a reader of the test output sees the figures.
    console.log(lines.join('\n'));
    return result;
  }

  /** Writes every service's output under tmp/reliability/<label>/ (for a failed audit) and returns the folder. */
  async saveLogs(label: string, store?: OrderStoreSnapshot): Promise<string> {
    const dir = join(workspaceRoot(), 'tmp', 'reliability', label.replace(/[^A-Za-z0-9-]+/g, '-'));
    await mkdir(dir, { recursive: true });
    // What JetStream thinks, next to the logs: the durables' positions and the events' sequences.
    const jsm = await jetstreamManager(this.nc);
    const consumers = await Promise.all(['fulfilment'].map((name) => jsm.consumers.info('ORDERS', name).catch((e: Error) => e.message)));
    await writeFile(join(dir, 'jetstream.json'), JSON.stringify({ consumers, store }, null, 1));
    for (const [i, app] of this.history.entries())
      await writeFile(join(dir, `${i + 1}-${app.app}-${app.process.pid}.log`), app.process.output());
    return dir;
  }

  async stop(): Promise<void> {
    await Promise.all([this.gateway.stop('SIGKILL'), this.order.stop('SIGKILL'), this.consumer.stop('SIGKILL')]);
    await this.nc.close().catch(() => undefined);
    await this.nats?.cleanup();
    await this.cluster?.cleanup();
  }
}

/** The requests in flight at a mark and how they ended: `12 (10×201, 2×503)`. */
export function describeMark(load: OrderLoad, mark: LoadMark): string {
  const ended = load.attempts.filter((a) => !a.retry && mark.inFlight.includes(a.key));
  const counts = new Map<string, number>();
  for (const a of ended) counts.set(String(a.status ?? a.failure), (counts.get(String(a.status ?? a.failure)) ?? 0) + 1);
  return `${mark.inFlight.length} (${[...counts].map(([status, n]) => `${n}×${status}`).join(', ')})`;
}

/** Attempts that started in [from, to). */
export function startedBetween(attempts: readonly OrderAttempt[], from: number, to: number): OrderAttempt[] {
  return attempts.filter((a) => a.startedAt >= from && a.startedAt < to);
}

/** Longest duration among attempts, in ms (0 for none). */
export function longest(attempts: readonly OrderAttempt[]): number {
  return attempts.reduce((max, a) => Math.max(max, a.endedAt - a.startedAt), 0);
}

/** Connect options for the admin user of a server with users (none for the open cluster). */
function adminOf(nats: NatsServer | undefined): { user?: string; pass?: string; inboxPrefix?: string } {
  if (!nats) return {};
  const { user, pass, inboxPrefix } = nats.user('admin');
  return { user, pass, inboxPrefix };
}

/** A connection as one of the services' users, for a test that must publish as that service would (poison on orders.created). */
export async function connectAs(system: ReliabilitySystem, name: 'order' | 'consumer'): Promise<NatsConnection> {
  const servers = system.natsUrl.split(',');
  if (!system.nats) return connect({ servers });
  const { user, pass, inboxPrefix } = system.nats.user(name);
  return connect({ servers, user, pass, inboxPrefix });
}
