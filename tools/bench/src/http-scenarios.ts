import { performance } from 'node:perf_hooks';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Subjects, Topology } from '@tandem/contracts';
import { ensureTopology, type TopologySpec } from '@tandem/messaging';
import { NODE_FLAGS } from '@tandem/testing';
import { freePort, NatsServer } from '@tandem/testing';
import { appScript, benchScript, type BenchContext } from './bench-context';
import { BenchProcess, recordProcess, track } from './bench-process';
import { postOrders } from './load';
import { cpuMs, machineBusyMs } from './proc-stats';
import type { HttpScenarioResult, TracingMode } from './results';
import { storedMessages } from './stored-messages';

/** One way of serving `POST /orders`: which processes, with what settings. */
export interface HttpScenario {
  readonly id: string;
  readonly title: string;
  readonly tracing: TracingMode;
  /** Stream and subject where each created order's event lands. */
  readonly events: { readonly stream: string; readonly subject: string };
  /**
   * Starts the processes in order, each ready before the next, adding each to `started` as
   * soon as it runs (so a failed launch still stops them), and returns the gateway's URL.
   */
  launch(context: BenchContext, natsUrl: string, started: BenchProcess[]): Promise<string>;
  /** Creates what the processes expect on the broker and do not create themselves. */
  prepare?(natsUrl: string): Promise<void>;
  /** The memory soak: measured for the plan's `soakSec` (when it has one) instead of `durationSec`. */
  readonly soak?: boolean;
}

const CEILING_STREAM = { name: 'CEILING', subjects: ['ceiling.>'], duplicateWindowMs: 120_000 };
const ORDERS_EVENTS = { stream: Topology.ordersStream.name, subject: Subjects.orderCreated };

/** Settings every Tandem process gets: loopback, shipped defaults otherwise (LOG_LEVEL info, …). */
function tandemEnv(context: BenchContext, tracing: TracingMode, natsUrl: string): Record<string, string> {
  const telemetry: Record<string, string> =
    tracing === 'sampling 1.0'
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: context.sinkUrl, OTEL_TRACES_SAMPLER: 'parentbased_always_on' }
      : tracing === 'sampling 0.1'
        ? { OTEL_EXPORTER_OTLP_ENDPOINT: context.sinkUrl, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }
        : { OTEL_TRACES_EXPORTER: 'none' };
  return { HOST: '127.0.0.1', NATS_URL: natsUrl, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ...telemetry };
}

async function startApp(
  context: BenchContext,
  name: string,
  app: 'gateway' | 'order' | 'consumer' | 'all-in-one',
  env: Record<string, string>,
  port: number,
): Promise<BenchProcess> {
  return BenchProcess.start(
    { name, script: appScript(context, app), nodeFlags: context.nodeFlags ?? NODE_FLAGS, env, readyUrl: `http://127.0.0.1:${port}/readyz` },
    context.logDir,
  );
}

/** Tandem as separate processes: order, consumer (unless `withConsumer` is false), gateway. */
function separate(id: string, title: string, tracing: TracingMode, withConsumer = true, soak = false): HttpScenario {
  return {
    id,
    title,
    tracing,
    soak,
    events: ORDERS_EVENTS,
    async launch(context, natsUrl, started) {
      const env = tandemEnv(context, tracing, natsUrl);
      const [orderPort, consumerPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
      started.push(await startApp(context, 'order', 'order', { ...env, PORT: String(orderPort) }, orderPort));
      if (withConsumer) started.push(await startApp(context, 'consumer', 'consumer', { ...env, PORT: String(consumerPort) }, consumerPort));
      const gatewayEnv = { ...env, PORT: String(gatewayPort), ORDER_URL: `http://127.0.0.1:${orderPort}` };
      started.push(await startApp(context, 'gateway', 'gateway', gatewayEnv, gatewayPort));
      return `http://127.0.0.1:${gatewayPort}`;
    },
  };
}

async function prepareTopology(natsUrl: string, spec: TopologySpec): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    await ensureTopology(nc, spec, { replicas: 1 });
  } finally {
    await nc.close();
  }
}

/** The ceiling's processes (plain node): its service (named and configured by `service`), the design workers if asked, its gateway. */
async function launchCeiling(
  context: BenchContext,
  natsUrl: string,
  started: BenchProcess[],
  service: { readonly name: string; readonly env: Record<string, string> },
  withWorkers = false,
): Promise<string> {
  const [servicePort, gatewayPort] = [await freePort(), await freePort()];
  const env = { HOST: '127.0.0.1', PORT: String(servicePort), NATS_URL: natsUrl, ...service.env };
  const spec = {
    name: service.name,
    script: benchScript(context, 'ceiling-service'),
    env,
    readyUrl: `http://127.0.0.1:${servicePort}/readyz`,
  };
  started.push(await BenchProcess.start(spec, context.logDir));
  if (withWorkers) {
    const workers = {
      name: 'design-workers',
      script: benchScript(context, 'design-workers'),
      env: { NATS_URL: natsUrl },
      readyLine: /consuming/,
    };
    started.push(await BenchProcess.start(workers, context.logDir));
  }
  const gateway = await BenchProcess.start(
    {
      name: 'ceiling-gateway',
      script: benchScript(context, 'ceiling-gateway'),
      env: { HOST: '127.0.0.1', PORT: String(gatewayPort), ORDER_URL: `http://127.0.0.1:${servicePort}` },
      readyUrl: `http://127.0.0.1:${gatewayPort}/readyz`,
    },
    context.logDir,
  );
  started.push(gateway);
  return `http://127.0.0.1:${gatewayPort}`;
}

/** The scenarios, in the order they run; the ceiling runs first and last so drift shows. */
export function httpScenarios(): { readonly first: HttpScenario[]; readonly last: HttpScenario[] } {
  const ceiling = (id: string, title: string): HttpScenario => ({
    id,
    title,
    tracing: 'none',
    events: { stream: CEILING_STREAM.name, subject: 'ceiling.created' },
    prepare: (natsUrl) => prepareTopology(natsUrl, { streams: [CEILING_STREAM] }),
    launch: (context, natsUrl, started) =>
      launchCeiling(context, natsUrl, started, { name: 'ceiling-service', env: { CEILING_SUBJECT: 'ceiling.created' } }),
  });
  /** The ceiling doing Tandem's broker work per order (docs/decisions/0012), with no framework: a target's yardstick. */
  const designWork: HttpScenario = {
    id: 'design-work',
    title: 'Same broker work, no framework',
    tracing: 'none',
    events: ORDERS_EVENTS,
    prepare: (natsUrl) =>
      prepareTopology(natsUrl, {
        streams: [Topology.ordersStream, Topology.deadLetterStream],
        consumers: [Topology.fulfilmentConsumer],
      }),
    launch: (context, natsUrl, started) =>
      launchCeiling(
        context,
        natsUrl,
        started,
        {
          name: 'design-service',
          env: { CEILING_WORK: 'design', CEILING_STREAM: Topology.ordersStream.name },
        },
        true,
      ),
  };
  const oneProcess: HttpScenario = {
    id: 'one-process',
    title: 'Tandem, one process (in-process order calls), tracing off',
    tracing: 'off',
    events: ORDERS_EVENTS,
    async launch(context, natsUrl, started) {
      const [gatewayPort, orderPort, consumerPort] = [await freePort(), await freePort(), await freePort()];
      const env = {
        ...tandemEnv(context, 'off', natsUrl),
        GATEWAY_PORT: String(gatewayPort),
        ORDER_PORT: String(orderPort),
        CONSUMER_PORT: String(consumerPort),
      };
      started.push(await startApp(context, 'all-in-one', 'all-in-one', env, gatewayPort));
      return `http://127.0.0.1:${gatewayPort}`;
    },
  };
  return {
    first: [
      ceiling('ceiling', 'Ceiling: bare Fastify → undici → bare Fastify → JetStream'),
      designWork,
      separate('separate-off', 'Tandem, separate processes, tracing off', 'off'),
      separate('separate-0.1', 'Tandem, separate processes, sampling 0.1 → OTLP', 'sampling 0.1'),
      separate('separate-1.0', 'Tandem, separate processes, sampling 1.0 → OTLP', 'sampling 1.0', true, true),
      separate('request-path-off', 'Tandem, gateway + order only (no consumer), tracing off', 'off', false),
      oneProcess,
    ],
    last: [ceiling('ceiling-again', 'Ceiling, again at the end (drift check)')],
  };
}

/** Runs one scenario on a fresh nats-server: start, warm up, measure, read RSS, stop. */
export async function runHttpScenario(
  scenario: HttpScenario,
  context: BenchContext,
  sinkStats: () => Promise<{ requests: number; bytes: number }>,
): Promise<HttpScenarioResult> {
  const { plan } = context;
  const nats = await NatsServer.start();
  recordProcess('nats-server', nats.pid);
  const untrack = track(nats);
  const processes: BenchProcess[] = [];
  try {
    await scenario.prepare?.(nats.url);
    context.progress(`${scenario.id}: starting`);
    const url = await scenario.launch(context, nats.url, processes);
    context.progress(`${scenario.id}: warm-up ${plan.warmupSec} s`);
    const warmup = await postOrders({
      baseUrl: url,
      connections: plan.connections,
      durationSec: plan.warmupSec,
      keyPrefix: `${scenario.id}-warmup`,
    });
    const natsPid = nats.pid ?? -1;
    const pids = [...processes.map((p) => p.pid), natsPid];
    const cpuBefore = pids.map(cpuMs);
    const ownBefore = process.cpuUsage();
    const sinkBefore0 = cpuMs(context.sinkPid);
    const busyBefore = machineBusyMs();
    const windowStart = performance.now();
    const sinkBefore = scenario.tracing.startsWith('sampling') ? await sinkStats() : undefined;
    const durationSec = scenario.soak && plan.soakSec !== undefined ? plan.soakSec : plan.durationSec;
    context.progress(`${scenario.id}: measuring ${durationSec} s with ${plan.connections} connections`);
    const load = await postOrders({ baseUrl: url, connections: plan.connections, durationSec, keyPrefix: scenario.id });
    const cpuAfter = pids.map(cpuMs);
    const busy = machineBusyMs() - busyBefore;
    const windowMs = performance.now() - windowStart;
    const own = process.cpuUsage(ownBefore);
    const cpu = cpuAfter.map((after, i) => after - (cpuBefore[i] as number));
    const ours = cpu.reduce((a, b) => a + b, 0) + (own.user + own.system) / 1000 + (cpuMs(context.sinkPid) - sinkBefore0);
    const otherLoadCores = Math.max(0, busy - ours) / windowMs;
    const measured: HttpScenarioResult['processes'] = [
      ...processes.map((p, i) => ({
        name: p.name,
        pid: p.pid,
        startupMs: p.startupMs,
        cpuMs: cpu[i] as number,
        rssMiB: p.rssMiB(),
        ...p.memory(),
      })),
      { name: 'nats-server', pid: natsPid, startupMs: 0, cpuMs: cpu[cpu.length - 1] as number, rssMiB: 0 },
    ];
    const sinkAfter = sinkBefore ? await sinkStats() : undefined;
    const created = (warmup.statusCodes['201'] ?? 0) + (load.statusCodes['201'] ?? 0);
    const eventsStored = await storedEvents(nats.url, scenario.events.stream, scenario.events.subject);
    context.progress(
      `${scenario.id}: ${load.requestsPerSec.toFixed(0)} req/s, p99 ${load.latencyMs.p99.toFixed(1)} ms, non-2xx ${load.non2xx}, errors ${load.errors}`,
    );
    const totalCpu = cpu.reduce((a, b) => a + b, 0);
    return {
      kind: 'http',
      id: scenario.id,
      title: scenario.title,
      tracing: scenario.tracing,
      connections: plan.connections,
      durationSec,
      requests: load.responses,
      requestsPerSec: load.requestsPerSec,
      latencyMs: load.latencyMs,
      non2xx: load.non2xx,
      statusCodes: load.statusCodes,
      errors: load.errors,
      timeouts: load.timeouts,
      cpuMsPerRequest: load.responses > 0 ? totalCpu / load.responses : 0,
      otherLoadCores,
      processes: measured,
      eventsStored,
      created,
      ...(sinkBefore && sinkAfter
        ? { otlp: { requests: sinkAfter.requests - sinkBefore.requests, bytes: sinkAfter.bytes - sinkBefore.bytes } }
        : {}),
    };
  } finally {
    // Gateway first, as in production: nothing new reaches the services behind it.
    for (const p of [...processes].reverse()) await p.stop();
    await nats.cleanup();
    untrack();
  }
}

async function storedEvents(natsUrl: string, stream: string, subject: string): Promise<number> {
  const nc = await connect({ servers: natsUrl });
  try {
    return await storedMessages(await jetstreamManager(nc), stream, subject);
  } finally {
    await nc.close();
  }
}
