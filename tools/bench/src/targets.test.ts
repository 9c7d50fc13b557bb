import type { ConsumerScenarioResult, HttpScenarioResult, ProcessResult } from './results';
import { ceilingOf, evaluateTargets } from './targets';

const proc = (name: string, peakMiB: number, oomKills = 0): ProcessResult => ({
  name,
  pid: 1,
  startupMs: 500,
  cpuMs: 0,
  rssMiB: peakMiB - 10,
  peakMiB,
  peakFrom: 'cgroup',
  memoryLimitMiB: 256,
  oomKills,
});
const memory = { cgroups: true, limitsMiB: { gateway: 256, order: 256, consumer: 160 } };
const http = (id: string, requestsPerSec: number, p99: number, processes: ProcessResult[] = []): HttpScenarioResult => ({
  kind: 'http',
  id,
  title: id,
  tracing: 'off',
  connections: 32,
  durationSec: 10,
  requests: requestsPerSec * 10,
  requestsPerSec,
  latencyMs: { p50: 1, p90: 1, p99, max: p99, mean: 1 },
  non2xx: 0,
  statusCodes: {},
  errors: 0,
  timeouts: 0,
  cpuMsPerRequest: 1,
  otherLoadCores: 0,
  processes,
  eventsStored: 0,
  created: 0,
});
const consumer = (id: string, messagesPerSec: number, processes: ProcessResult[] = []): ConsumerScenarioResult => ({
  kind: 'consumer',
  id,
  title: id,
  messages: 100,
  drainMs: 1,
  messagesPerSec,
  cpuMsPerMessage: 0,
  otherLoadCores: 0,
  processes,
  leftOver: 0,
});

describe('targets, as ratios to the same run’s yardsticks', () => {
  // Each just at its bound, or just beyond it where the expectation is false.
  const scenarios = [
    http('ceiling', 1000, 10, [proc('ceiling-gateway', 100), proc('ceiling-service', 100)]),
    http('design-work', 1000, 12),
    http('separate-off', 700, 12, [proc('gateway', 150), proc('order', 151), proc('consumer', 100)]),
    // The highest peak of a service over every scenario counts: the consumer's 160 reaches its 160 MiB limit.
    http('separate-0.1', 500, 20, [proc('gateway', 140), proc('consumer', 160)]),
    http('separate-1.0', 399, 30),
    http('one-process', 840, 8),
    consumer('consumer-bare', 1000, [proc('bare-consumer', 120)]),
    consumer('consumer-fulfilment', 800),
  ];
  const startup = ['gateway', 'order', 'consumer'].map((service) => ({
    service,
    samplesMs: [400, 1000],
    medianMs: 700,
    maxMs: service === 'order' ? 1001 : 1000,
  }));
  const met = Object.fromEntries(
    evaluateTargets({ scenarios, ceiling: { requestsPerSec: 1000, p99Ms: 10, runs: [1000] }, startup, memory }).map((t) => [t.name, t.met]),
  );

  it('meets a target exactly at its bound and misses it just beyond', () => {
    expect(met).toEqual({
      'separate processes, sampling 0.1: throughput': true,
      'separate processes, sampling 0.1: p99 latency': true,
      'separate processes, sampling 1.0: throughput': false,
      'one process: throughput': true,
      'separate processes, tracing off: against the same broker work': true,
      'consumer drain': true,
      'gateway: ready after spawn': true,
      'order: ready after spawn': false,
      'consumer: ready after spawn': true,
      'gateway: peak memory under load': true,
      'order: peak memory under load': false,
      'consumer: peak memory under load': false,
    });
  });

  it('measures one process against separate processes and Tandem against the same broker work, not against the ceiling', () => {
    const slower = scenarios.map((s) =>
      s.id === 'one-process' ? http('one-process', 839, 8) : s.id === 'design-work' ? http('design-work', 1001, 12) : s,
    );
    const targets = evaluateTargets({ scenarios: slower, ceiling: { requestsPerSec: 1000, p99Ms: 10, runs: [1000] }, startup, memory });
    expect(targets.find((t) => t.name === 'one process: throughput')?.met).toBe(false);
    expect(targets.find((t) => t.name === 'separate processes, tracing off: against the same broker work')?.met).toBe(false);
  });

  it('misses a memory target on an OOM kill, and when nothing ran under the deploy/ limit', () => {
    const killed = scenarios.map((s) => (s.id === 'separate-off' ? http('separate-off', 700, 12, [proc('gateway', 100, 1)]) : s));
    const ceiling = { requestsPerSec: 1000, p99Ms: 10, runs: [1000] };
    expect(
      evaluateTargets({ scenarios: killed, ceiling, startup, memory }).find((t) => t.name === 'gateway: peak memory under load'),
    ).toMatchObject({
      met: false,
      measured: expect.stringContaining('1 OOM kills'),
    });
    const unlimited = evaluateTargets({
      scenarios,
      ceiling,
      startup,
      memory: { cgroups: false, reason: 'not root', limitsMiB: memory.limitsMiB },
    });
    expect(unlimited.find((t) => t.name === 'gateway: peak memory under load')).toMatchObject({
      met: false,
      measured: expect.stringContaining('not run under the limit (not root)'),
    });
  });

  it('counts a target whose scenario did not run as missed', () => {
    const targets = evaluateTargets({ scenarios: [], ceiling: { requestsPerSec: 1000, p99Ms: 10, runs: [1000] }, startup: [] });
    expect(targets.every((t) => !t.met)).toBe(true);
  });
});

describe('the ceiling the ratios use', () => {
  it('is the mean of the ceiling runs; the "same broker work" yardstick does not change it', () => {
    const scenarios = [http('ceiling', 1000, 10), http('separate-0.1', 850, 15), http('ceiling-again', 800, 20)];
    const ceiling = ceilingOf(scenarios);
    expect(ceiling).toEqual({ requestsPerSec: 900, p99Ms: 15, runs: [1000, 800] });
    const withDesign = [...scenarios.slice(0, 1), http('design-work', 300, 50), ...scenarios.slice(1)];
    expect(ceilingOf(withDesign)).toEqual(ceiling);
  });
});
