import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { eventMessageId, orderSubject, Subjects, Topology, type OrderCreatedV1 } from '@tandem/contracts';
import { ensureTopology, type ConsumerSpec } from '@tandem/messaging';
import { NODE_FLAGS } from '@tandem/testing';
import { freePort, NatsServer } from '@tandem/testing';
import { appScript, benchScript, type BenchContext } from './bench-context';
import { BenchProcess, recordProcess, track, type BenchProcessSpec } from './bench-process';
import { cpuMs, machineBusyMs } from './proc-stats';
import type { ConsumerScenarioResult } from './results';
import { storedMessages } from './stored-messages';

/** The yardstick's durable: the fulfilment consumer's settings, its own cursor over the same backlog. */
const BARE: ConsumerSpec = { ...Topology.fulfilmentConsumer, durable: 'bench-bare' };

/**
 * Consumer throughput (scenario 4): a backlog of `orders.created.<id>` events, then
 * the bare loop doing the fulfilment's broker work (consume, publish expecting an empty
 * subject, ack) drains it through its own durable, then the fulfilment
 * consumer (built app, zero simulated work) drains the same backlog through `fulfilment`.
 * `only` drains just one of them (A/B runs: the yardstick once per round, the consumer per variant).
 */
export async function runConsumerThroughput(
  context: BenchContext,
  only?: 'consumer-bare' | 'consumer-fulfilment',
): Promise<ConsumerScenarioResult[]> {
  const messages = context.plan.backlog;
  const nats = await NatsServer.start();
  recordProcess('nats-server', nats.pid);
  const untrack = track(nats);
  const nc = await connect({ servers: nats.url });
  try {
    await ensureTopology(
      nc,
      { streams: [Topology.ordersStream, Topology.deadLetterStream], consumers: [Topology.fulfilmentConsumer, BARE] },
      { replicas: 1 },
    );
    context.progress(`consumer: publishing a backlog of ${messages} orders.created`);
    await publishBacklog(nc, messages);
    const jsm = await jetstreamManager(nc);
    const results: ConsumerScenarioResult[] = [];
    if (only !== 'consumer-fulfilment') {
      const bare = await measureDrain(context, jsm, nats.pid ?? -1, BARE.durable, messages, () =>
        BenchProcess.spawn(
          {
            name: 'bare-consumer',
            script: benchScript(context, 'bare-consumer'),
            env: { NATS_URL: nats.url, STREAM: BARE.stream, DURABLE: BARE.durable },
            readyLine: /consuming/,
          },
          context.logDir,
        ),
      );
      results.push({ ...bare, id: 'consumer-bare', title: 'Bare consume() → publish (expected sequence 0) → ack loop' });
    }
    if (only === 'consumer-bare') return results;
    const port = await freePort();
    const fulfilment = await measureDrain(context, jsm, nats.pid ?? -1, Topology.fulfilmentConsumer.durable, messages, () =>
      BenchProcess.spawn(fulfilmentConsumerSpec(context, nats.url, port), context.logDir),
    );
    results.push({
      ...fulfilment,
      id: 'consumer-fulfilment',
      title: 'Fulfilment consumer (zero simulated work)',
      fulfilledEvents: await storedMessages(jsm, Topology.ordersStream.name, Subjects.orderFulfilled),
    });
    return results;
  } finally {
    await nc.close();
    await nats.cleanup();
    untrack();
  }
}

/** The built fulfilment consumer app on `port`, zero simulated work, no telemetry export. */
export function fulfilmentConsumerSpec(context: BenchContext, natsUrl: string, port: number): BenchProcessSpec {
  return {
    name: 'consumer',
    script: appScript(context, 'consumer'),
    nodeFlags: context.nodeFlags ?? NODE_FLAGS,
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      NATS_URL: natsUrl,
      FULFILMENT_DELAY_MS: '0',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
    readyUrl: `http://127.0.0.1:${port}/readyz`,
  };
}

/** Publishes `count` valid `orders.created` events, a bounded number in flight at once. */
async function publishBacklog(nc: NatsConnection, count: number): Promise<void> {
  const js = jetstream(nc);
  const createdAt = new Date().toISOString();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const orderId = randomUUID();
      const event: OrderCreatedV1 = { eventVersion: 1, orderId, sku: 'BENCH-1', qty: 1, createdAt, serviceVersion: 'bench' };
      await js.publish(orderSubject('created', orderId), JSON.stringify(event), { msgID: eventMessageId('created', orderId) });
    }
  };
  await Promise.all(Array.from({ length: 256 }, worker));
}

type DrainResult = Omit<ConsumerScenarioResult, 'id' | 'title' | 'fulfilledEvents'>;

/**
 * Spawns a consumer process and watches its durable every 20 ms: the drain runs from the
 * first poll that sees a delivery to the first that sees nothing pending or unacknowledged.
 * CPU (the consumer and nats-server) is taken at those two polls.
 */
async function measureDrain(
  context: BenchContext,
  jsm: JetStreamManager,
  natsPid: number,
  durable: string,
  messages: number,
  spawn: () => BenchProcess,
): Promise<DrainResult> {
  const consumer = spawn();
  try {
    const ready = consumer.ready();
    ready.catch(() => undefined); // observed below
    const pids = [consumer.pid, natsPid];
    const deadline = performance.now() + Math.max(60_000, messages * 2);
    // CPU of the consumer, nats-server, the bench itself and the sink; and of the whole machine.
    const snapshot = (at: number) => ({
      at,
      cpu: pids.map(cpuMs),
      own: process.cpuUsage(),
      sink: cpuMs(context.sinkPid),
      busy: machineBusyMs(),
    });
    let start: ReturnType<typeof snapshot> | undefined;
    let end: ReturnType<typeof snapshot> | undefined;
    let leftOver = messages;
    context.progress(`consumer: ${consumer.name} draining`);
    while (!end) {
      if (!consumer.process.running) throw new Error(`${consumer.name} exited while draining; its output:\n${consumer.output()}`);
      const info = await jsm.consumers.info(Topology.ordersStream.name, durable);
      const at = performance.now();
      leftOver = info.num_pending + info.num_ack_pending;
      if (!start && info.delivered.stream_seq > 0) start = snapshot(at);
      if (start && leftOver === 0 && info.ack_floor.consumer_seq >= messages) end = snapshot(at);
      else if (at > deadline) throw new Error(`${consumer.name} did not drain ${messages} messages in time (${leftOver} left)`);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await ready;
    const s = start as ReturnType<typeof snapshot>;
    const drainMs = Math.max(1, end.at - s.at);
    const cpu = end.cpu.map((after, i) => after - (s.cpu[i] as number));
    const own = (end.own.user + end.own.system - s.own.user - s.own.system) / 1000;
    const ours = (cpu[0] as number) + (cpu[1] as number) + own + (end.sink - s.sink);
    const otherLoadCores = Math.max(0, end.busy - s.busy - ours) / drainMs;
    const rate = (messages * 1000) / drainMs;
    context.progress(`consumer: ${consumer.name} ${rate.toFixed(0)} msg/s`);
    return {
      kind: 'consumer',
      messages,
      drainMs,
      messagesPerSec: rate,
      cpuMsPerMessage: (cpu[0] as number) / messages + (cpu[1] as number) / messages,
      otherLoadCores,
      processes: [
        {
          name: consumer.name,
          pid: consumer.pid,
          startupMs: consumer.startupMs,
          cpuMs: cpu[0] as number,
          rssMiB: consumer.rssMiB(),
          ...consumer.memory(),
        },
        { name: 'nats-server', pid: natsPid, startupMs: 0, cpuMs: cpu[1] as number, rssMiB: 0 },
      ],
      leftOver,
    };
  } finally {
    await consumer.stop();
  }
}
