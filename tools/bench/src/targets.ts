import type { BenchResults, ConsumerScenarioResult, HttpScenarioResult, ScenarioResult, TargetResult } from './results';

type Inputs = Pick<BenchResults, 'scenarios' | 'ceiling' | 'startup'>;

const http = (scenarios: readonly ScenarioResult[], id: string) =>
  scenarios.find((s): s is HttpScenarioResult => s.kind === 'http' && s.id === id);
const consumer = (scenarios: readonly ScenarioResult[], id: string) =>
  scenarios.find((s): s is ConsumerScenarioResult => s.kind === 'consumer' && s.id === id);
const ratio = (n: number) => `${n.toFixed(2)}×`;

/** RSS of a process of a scenario, by process name. */
function rss(scenario: ScenarioResult | undefined, name: string): number | undefined {
  return scenario?.processes.find((p) => p.name === name)?.rssMiB;
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
 * The order pipeline's targets (issue 16, docs/decisions/0012), each as measured in this run:
 * ratios to the ceiling, to the same-broker-work yardstick, or to the bare fulfilment loop of
 * the same run. A target whose scenario is missing counts as missed.
 */
export function evaluateTargets({ scenarios, ceiling, startup }: Inputs): TargetResult[] {
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

  // RSS after load against the yardstick process doing the same job in the same run.
  const ceilingRun = http(scenarios, 'ceiling');
  const plain = http(scenarios, 'separate-off');
  for (const [service, yardstick, yardstickScenario] of [
    ['gateway', 'ceiling-gateway', ceilingRun],
    ['order', 'ceiling-service', ceilingRun],
    ['consumer', 'bare-consumer', bare],
  ] as const) {
    const mine = rss(plain, service);
    const theirs = rss(yardstickScenario, yardstick);
    const r = mine !== undefined && theirs ? mine / theirs : Number.POSITIVE_INFINITY;
    targets.push({
      name: `${service}: RSS after load`,
      target: `≤ 1.50× ${yardstick}`,
      measured: `${ratio(r)} (${(mine ?? 0).toFixed(0)} vs ${(theirs ?? 0).toFixed(0)} MiB)`,
      met: r <= 1.5,
    });
  }
  return targets;
}
