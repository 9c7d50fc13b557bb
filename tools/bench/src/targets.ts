import type { BenchResults, ConsumerScenarioResult, HttpScenarioResult, ScenarioResult, TargetResult } from './results';

type Inputs = Pick<BenchResults, 'scenarios' | 'ceiling' | 'startup' | 'memory'>;

const http = (scenarios: readonly ScenarioResult[], id: string) =>
  scenarios.find((s): s is HttpScenarioResult => s.kind === 'http' && s.id === id);
const consumer = (scenarios: readonly ScenarioResult[], id: string) =>
  scenarios.find((s): s is ConsumerScenarioResult => s.kind === 'consumer' && s.id === id);
const ratio = (n: number) => `${n.toFixed(2)}×`;

/** The highest peak memory of the processes named `name` over every scenario, and their OOM kills. */
export function peakMemory(
  scenarios: readonly ScenarioResult[],
  name: string,
): { peakMiB: number; oomKills: number; from: 'cgroup' | 'VmHWM' | undefined } | undefined {
  const runs = scenarios.flatMap((s) => s.processes.filter((p) => p.name === name && p.peakMiB !== undefined));
  if (runs.length === 0) return undefined;
  return {
    peakMiB: Math.max(...runs.map((p) => p.peakMiB as number)),
    oomKills: runs.reduce((a, p) => a + (p.oomKills ?? 0), 0),
    from: runs.every((p) => p.peakFrom === 'cgroup') ? 'cgroup' : runs[0]?.peakFrom,
  };
}

/**
 * The ceiling the ratios and targets use: the mean of its runs (`ceiling`, `ceiling-again`).
 * The yardstick `design-work` (the same broker work as Tandem, no framework) is not one of them.
 */
export function ceilingOf(scenarios: readonly ScenarioResult[]): BenchResults['ceiling'] {
  const runs = scenarios.filter((s): s is HttpScenarioResult => s.kind === 'http' && (s.id === 'ceiling' || s.id === 'ceiling-again'));
  const mean = (value: (s: HttpScenarioResult) => number) => runs.reduce((a, s) => a + value(s), 0) / Math.max(1, runs.length);
  return { requestsPerSec: mean((s) => s.requestsPerSec), p99Ms: mean((s) => s.latencyMs.p99), runs: runs.map((s) => s.requestsPerSec) };
}

/**
 * The order pipeline's targets (docs/decisions/0012), each as measured in this run:
 * ratios to the ceiling, to the same-broker-work yardstick, or to the bare fulfilment loop of
 * the same run. A target whose scenario is missing counts as missed.
 */
export function evaluateTargets({ scenarios, ceiling, startup, memory }: Inputs): TargetResult[] {
  const targets: TargetResult[] = [];
  const throughput = (id: string, min: number, label: string, yardstickId?: string, yardstickName = 'ceiling') => {
    const s = http(scenarios, id);
    const base = yardstickId === undefined ? ceiling.requestsPerSec : (http(scenarios, yardstickId)?.requestsPerSec ?? 0);
    const r = s && base > 0 ? s.requestsPerSec / base : 0;
    targets.push({
      name: label,
      target: `≥ ${ratio(min)} ${yardstickName} req/s`,
      measured: `${ratio(r)} (${(s?.requestsPerSec ?? 0).toFixed(0)} vs ${base.toFixed(0)} req/s)`,
      met: r >= min,
    });
  };
  throughput('separate-0.1', 0.5, 'separate processes, sampling 0.1: throughput');
  const sampled = http(scenarios, 'separate-0.1');
  const p99Ratio = sampled && ceiling.p99Ms > 0 ? sampled.latencyMs.p99 / ceiling.p99Ms : Number.POSITIVE_INFINITY;
  targets.push({
    name: 'separate processes, sampling 0.1: p99 latency',
    target: '≤ 2.00× ceiling p99',
    measured: `${ratio(p99Ratio)} (${(sampled?.latencyMs.p99 ?? 0).toFixed(1)} ms)`,
    met: p99Ratio <= 2,
  });
  throughput('separate-1.0', 0.4, 'separate processes, sampling 1.0: throughput');
  throughput('one-process', 1.2, 'one process: throughput', 'separate-off', 'separate processes (tracing off)');
  throughput('separate-off', 0.7, 'separate processes, tracing off: against the same broker work', 'design-work', 'same-broker-work');

  const bare = consumer(scenarios, 'consumer-bare');
  const fulfilment = consumer(scenarios, 'consumer-fulfilment');
  const drain = bare && fulfilment && bare.messagesPerSec > 0 ? fulfilment.messagesPerSec / bare.messagesPerSec : 0;
  targets.push({
    name: 'consumer drain',
    target: '≥ 0.80× the bare consume → publish → ack loop',
    measured: `${ratio(drain)} (${(fulfilment?.messagesPerSec ?? 0).toFixed(0)} vs ${(bare?.messagesPerSec ?? 0).toFixed(0)} msg/s)`,
    met: drain >= 0.8,
  });

  for (const service of ['gateway', 'order', 'consumer']) {
    const s = startup.find((x) => x.service === service);
    targets.push({
      name: `${service}: ready after spawn`,
      target: '≤ 1000 ms (every start in the run)',
      measured: s ? `max ${s.maxMs.toFixed(0)} ms, median ${s.medianMs.toFixed(0)} ms (${s.samplesMs.length} starts)` : 'not measured',
      met: s !== undefined && s.maxMs <= 1000,
    });
  }

  // Peak memory over the run (the memory soak included), under the deploy/ limit, against the
  // yardstick process doing the same job under the same limit.
  for (const [service, yardstick] of [
    ['gateway', 'ceiling-gateway'],
    ['order', 'ceiling-service'],
    ['consumer', 'bare-consumer'],
  ] as const) {
    const mine = peakMemory(scenarios, service);
    const theirs = peakMemory(scenarios, yardstick);
    const limit = memory?.limitsMiB[service];
    const underLimit = memory?.cgroups === true && mine?.from === 'cgroup' && limit !== undefined;
    const r = mine && theirs && theirs.peakMiB > 0 ? mine.peakMiB / theirs.peakMiB : Number.POSITIVE_INFINITY;
    const limitText = underLimit
      ? `${mine.peakMiB.toFixed(0)} of ${limit.toFixed(0)} MiB, ${mine.oomKills} OOM kills`
      : `not run under the limit (${memory?.reason ?? 'no memory cgroups'}); VmHWM ${(mine?.peakMiB ?? 0).toFixed(0)} MiB`;
    targets.push({
      name: `${service}: peak memory under load`,
      target: `under its deploy/ limit${limit === undefined ? '' : ` (${limit.toFixed(0)} MiB)`}, no OOM kill, ≤ 1.50× ${yardstick}'s peak`,
      measured: `${limitText}; ${ratio(r)} ${yardstick} (${(theirs?.peakMiB ?? 0).toFixed(0)} MiB)`,
      met: underLimit && mine.peakMiB < limit && mine.oomKills === 0 && r <= 1.5,
    });
  }
  return targets;
}
