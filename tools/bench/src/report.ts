import { NODE_FLAGS } from '@tandem/testing';
import type { ChartPanel } from './svg-chart';
import type { BenchResults, ConsumerScenarioResult, HttpScenarioResult } from './results';
import { peakMemory } from './targets';

export const FINDINGS_START = '<!-- findings:start (kept when the report is regenerated) -->';
export const FINDINGS_END = '<!-- findings:end -->';
const NO_FINDINGS = '_None written yet for this run._';

/** The hand-written findings of an existing report, kept across regenerations. */
export function preservedFindings(existing: string | undefined): string {
  if (!existing) return NO_FINDINGS;
  const start = existing.indexOf(FINDINGS_START);
  const end = existing.indexOf(FINDINGS_END);
  if (start < 0 || end < start) return NO_FINDINGS;
  return existing.slice(start + FINDINGS_START.length, end).trim() || NO_FINDINGS;
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function httpRows(results: BenchResults): string[] {
  const { ceiling } = results;
  return results.scenarios
    .filter((s): s is HttpScenarioResult => s.kind === 'http')
    .map((s) => {
      const cells = [
        s.title,
        int(s.requestsPerSec),
        f1(s.latencyMs.p50),
        f1(s.latencyMs.p90),
        f1(s.latencyMs.p99),
        int(s.non2xx),
        int(s.errors),
        f2(s.cpuMsPerRequest),
        ceiling.requestsPerSec > 0 ? `${f2(s.requestsPerSec / ceiling.requestsPerSec)}×` : '–',
        ceiling.p99Ms > 0 ? `${f2(s.latencyMs.p99 / ceiling.p99Ms)}×` : '–',
        f2(s.otherLoadCores),
      ];
      return `| ${cells.join(' | ')} |`;
    });
}

function consumerRows(results: BenchResults): string[] {
  const consumers = results.scenarios.filter((s): s is ConsumerScenarioResult => s.kind === 'consumer');
  const bare = consumers.find((s) => s.id === 'consumer-bare');
  return consumers.map((s) => {
    const cells = [
      s.title,
      int(s.messages),
      int(s.messagesPerSec),
      f2(s.drainMs / 1000),
      f2(s.cpuMsPerMessage),
      bare && bare.messagesPerSec > 0 ? `${f2(s.messagesPerSec / bare.messagesPerSec)}×` : '–',
      f2(s.otherLoadCores),
    ];
    return `| ${cells.join(' | ')} |`;
  });
}

function processRows(results: BenchResults): string[] {
  const rss = new Map<string, number[]>();
  for (const s of results.scenarios) {
    // RSS "after load" comes from the runs without tracing (tracing buffers add their own).
    if (s.kind === 'http' && s.tracing !== 'none' && s.tracing !== 'off') continue;
    for (const p of s.processes) if (p.name !== 'nats-server') rss.set(p.name, [...(rss.get(p.name) ?? []), p.rssMiB]);
  }
  return results.startup.map((s) => {
    const r = rss.get(s.service) ?? [];
    const rssText = r.length > 0 ? `${f1(Math.min(...r))}–${f1(Math.max(...r))}` : '–';
    const peak = peakMemory(results.scenarios, s.service);
    const limit = results.memory?.cgroups ? results.memory.limitsMiB[s.service] : undefined;
    const peakText = peak ? `${f1(peak.peakMiB)}${limit === undefined ? '' : ` / ${int(limit)}`}` : '–';
    const oom = peak?.from === 'cgroup' ? String(peak.oomKills) : '–';
    return `| ${s.service} | ${int(s.medianMs)} | ${int(s.maxMs)} | ${s.samplesMs.length} | ${rssText} | ${peakText} | ${oom} |`;
  });
}

function memoryNote(results: BenchResults): string {
  const m = results.memory;
  if (!m) return 'VmHWM, no limits';
  if (!m.cgroups) return `VmHWM, no limits: ${m.reason ?? 'no memory cgroups'}`;
  const limits = [...new Set(Object.values(m.limitsMiB))].map((l) => `${int(l)} MiB`).join(', ');
  return `each process ran in its own memory cgroup under the memory limit deploy/k8s/base gives its service (${limits}; a yardstick gets the limit of the service it is compared with, all-in-one none), so Node sized its heap as in the container; peak is the cgroup's (RSS and page cache, as a container is charged)`;
}

/** Idle order event streams: what holding them open costs each process. */
function idleStreamsSection(results: BenchResults): string {
  const idle = results.idleStreams;
  if (!idle) return '';
  const rows = idle.processes.map(
    (p) =>
      `| ${p.name} | ${p.rssBeforeMiB.toFixed(1)} | ${p.rssAfterMiB.toFixed(1)} | ${p.kibPerStream.toFixed(1)} | ${p.cpuMsPerSec.toFixed(1)} | ${p.peakMiB === undefined ? '–' : `${int(p.peakMiB)}${p.memoryLimitMiB === undefined ? '' : ` / ${int(p.memoryLimitMiB)}`}`} |`,
  );
  return `
Waiting clients: ${int(idle.opened)} of ${int(idle.streams)} order event streams (\`GET /orders/:id/events\`, one per
order, through the gateway to the order service) opened in ${idle.openSec.toFixed(1)} s, then held open ${idle.idleSec} s with nothing
happening (no consumer runs; the order service sends its heartbeat every 15 s). RSS before opening and at the end of the idle
window; per stream is the difference over the streams (noisy at this size: RSS moves with the garbage collector).

| Process | RSS before MiB | RSS after MiB | KiB per stream | CPU ms/s idle | peak MiB${results.memory?.cgroups ? ' / limit' : ''} |
|---|---:|---:|---:|---:|---:|
${rows.join('\n')}
`;
}

/** The fulfilment worker woken from zero: what an order waiting on a scaled-to-zero worker waits for, here. */
function coldStartSection(results: BenchResults): string {
  const cold = results.coldStart;
  if (!cold) return '';
  return `
Waking from zero: the fulfilment worker started ${cold.wakes} times with one order waiting in ORDERS, as KEDA starts a pod
when the backlog appears (deploy/k8s/base/consumer.yaml). Spawn → first \`/readyz\` 200: median ${int(cold.readyMedianMs)} ms;
spawn → the order's \`orders.fulfilled\` stored: median ${int(cold.firstHandledMedianMs)} ms, max ${int(cold.firstHandledMaxMs)} ms
(${cold.firstHandledMs.map(int).join(', ')}). In a cluster add the scaler's polling interval and the pod's scheduling and
image start (docs/operations.md, "Scaling on the backlog").
`;
}

/** The Markdown report: tables, chart, targets, findings (kept), and how it was measured. */
export function renderReport(results: BenchResults, findings: string): string {
  const m = results.machine;
  const { plan } = results;
  const targets = results.targets.map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'met' : '**missed**'} |`);
  const met = results.targets.filter((t) => t.met).length;
  return `# Benchmarks

Generated by \`${results.command}\` on ${results.date}${results.quick ? ' — **quick mode: a smoke test, not a measurement**' : ''}.
Everything below is regenerated by the bench except the "Findings" block. Raw numbers: [results.json](results.json).

What runs (SPEC §7): \`POST /orders\` with a unique \`Idempotency-Key\` each, through
a gateway to an order service that stores the order and waits for JetStream's
acknowledgement, answered 201. Every process runs for real on 127.0.0.1 from its built
bundle; each scenario gets a fresh nats-server. Ratios are to the ceiling measured in the
same run (${results.ceiling.runs.length === 1 ? 'one run' : `mean of ${results.ceiling.runs.length} runs, one first and one last`}: ${results.ceiling.runs.map(int).join(' and ')} req/s).

## Results

${plan.connections} connections, ${plan.warmupSec} s warm-up, then ${plan.durationSec} s measured per scenario${plan.soakSec === undefined ? '' : ` (separate processes at sampling 1.0: ${plan.soakSec} s, the memory soak)`}.
CPU ms/req is the CPU time of every process of the scenario (nats-server included, the load
generator not) divided by the responses. "Other load" is the CPU, in cores of the ${results.machine.cores}, that
processes outside the bench used during the measured window: what competed with it.

| Scenario | req/s | p50 ms | p90 ms | p99 ms | non-2xx | errors | CPU ms/req | × ceiling req/s | × ceiling p99 | other load |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${httpRows(results).join('\n')}

Consumer throughput: a backlog of ${int(plan.backlog)} \`orders.created.<id>\` drained by each consumer through its own durable.

| Consumer | messages | msg/s | drain s | CPU ms/msg | × bare | other load |
|---|---:|---:|---:|---:|---:|---:|
${consumerRows(results).join('\n')}

Start-up (spawn → first \`/readyz\` 200, every start in the run), RSS right after load (runs without tracing), and the
peak memory over every run of the process (${memoryNote(results)}):

| Process | start-up median ms | start-up max ms | starts | RSS MiB | peak MiB${results.memory?.cgroups ? ' / limit' : ''} | OOM kills |
|---|---:|---:|---:|---:|---:|---:|
${processRows(results).join('\n')}
${idleStreamsSection(results)}${coldStartSection(results)}
![Requests per second and messages per second by scenario](chart.svg)

## Targets

The order pipeline's targets, ratios to the yardsticks of this run: ${met} of ${results.targets.length} met.

| Target | wanted | measured | |
|---|---|---|---|
${targets.join('\n')}

## Findings

${FINDINGS_START}
${findings}
${FINDINGS_END}

## How it was measured

- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}. Load average (1/5/15 min) before: ${m.loadAverageBefore.join(' / ')}, after: ${m.loadAverageAfter.join(' / ')}.
- Node ${m.node}, ${m.natsServer}, autocannon ${m.autocannon}; the whole run took ${Math.round(results.wallClockSec)} s.
- Command: \`${results.command}\` from the repository root (it builds the apps and the bench first).
- Load: autocannon in the bench process, closed loop (each connection sends its next request when the answer arrives), latency of every response recorded exactly.
- Tandem runs as shipped: \`node ${NODE_FLAGS.join(' ')}\` like its image, \`LOG_LEVEL\` info, logs to a file; "tracing off" is \`OTEL_TRACES_EXPORTER=none\`, the default without a collector (spans are not recorded unless a sampled trace comes in, context still propagates); sampling runs export OTLP/HTTP protobuf to a sink in its own process that counts and answers 200. The yardsticks run with plain \`node\`.
- The ceiling (\`tools/bench/src/ceiling/\`) is bare Fastify → undici (64 connections, like the gateway) → bare Fastify → JetStream publish awaiting its ack → 201: no validation library, no logger, no telemetry.
- "Same broker work, no framework" is the ceiling doing Tandem's broker work per order (docs/decisions/0012), still bare: its service (\`CEILING_WORK=design\`) publishes \`orders.created.<id>\` (id from an HMAC of the key) with a msg id, the fingerprint header and an expected last subject sequence of 0, awaiting the ack → 201 (reading the stored message back when the subject was not empty); beside it \`ceiling/design-workers.ts\` runs \`fulfilment\` (publish \`orders.fulfilled.<id>\` expecting an empty subject, awaiting the ack, \`ackAck()\`) as a plain \`consume()\` loop, 16 in flight; its CPU counts in CPU ms/req. Tandem with tracing off is measured against it.
- The bare consumer (\`tools/bench/src/bare-consumer.ts\`) does the fulfilment consumer's broker work with no framework — \`consume()\`, publish expecting an empty subject (to its own subjects), \`ackAck()\`, 16 in flight — on a durable with the fulfilment consumer's settings; the drain is timed by polling the durable every 20 ms, from the first delivery to nothing pending or unacknowledged.
- Memory: ${memoryNote(results)}. The memory targets take each service's highest peak over the run (the ${plan.soakSec ?? plan.durationSec} s soak included) and compare it with the yardstick process doing its job: gateway ↔ ceiling gateway, order ↔ ceiling service, consumer ↔ bare consumer.
`;
}

/** Short bar labels (the table has the full titles). */
const CHART_LABELS: Readonly<Record<string, string>> = {
  ceiling: 'ceiling',
  'design-work': 'same broker work, no framework',
  'ceiling-again': 'ceiling, again at the end',
  'separate-off': 'separate processes, tracing off',
  'separate-0.1': 'separate processes, sampling 0.1',
  'separate-1.0': 'separate processes, sampling 1.0',
  'request-path-off': 'gateway + order only, tracing off',
  'one-process': 'one process, tracing off',
  'consumer-bare': 'bare consume() + ack',
  'consumer-fulfilment': 'fulfilment consumer',
};

/** The chart's panels: requests/s per HTTP scenario against the ceiling, messages/s per consumer. */
export function chartPanels(results: BenchResults): ChartPanel[] {
  const yardstick = (id: string) => id === 'ceiling' || id === 'ceiling-again' || id === 'design-work';
  const colour = (id: string) => (yardstick(id) ? '#8c8c8c' : id === 'one-process' ? '#2a9d5c' : '#2f6fb0');
  return [
    {
      title: `POST /orders, requests/s (${results.plan.connections} connections)`,
      unit: 'req/s',
      bars: results.scenarios
        .filter((s): s is HttpScenarioResult => s.kind === 'http')
        .map((s) => ({ label: CHART_LABELS[s.id] ?? s.title, value: s.requestsPerSec, color: colour(s.id) })),
      reference: { value: results.ceiling.requestsPerSec, label: 'ceiling' },
    },
    {
      title: `Draining ${results.plan.backlog.toLocaleString('en-US')} orders.created, messages/s`,
      unit: 'msg/s',
      bars: results.scenarios
        .filter((s): s is ConsumerScenarioResult => s.kind === 'consumer')
        .map((s) => ({
          label: CHART_LABELS[s.id] ?? s.title,
          value: s.messagesPerSec,
          color: s.id === 'consumer-bare' ? '#8c8c8c' : '#2f6fb0',
        })),
    },
  ];
}
