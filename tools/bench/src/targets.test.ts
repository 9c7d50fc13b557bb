import type { ConsumerScenarioResult, HttpScenarioResult, ProcessResult } from './results';
import { ceilingOf, evaluateTargets } from './targets';

const proc = (name: string, rssMiB: number): ProcessResult => ({ name, pid: 1, startupMs: 500, cpuMs: 0, rssMiB });
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

describe('targets (issue 10), as ratios to the same run’s yardsticks', () => {
  const scenarios = [
    http('ceiling', 1000, 10, [proc('ceiling-gateway', 100), proc('ceiling-service', 100)]),
    http('separate-off', 900, 12, [proc('gateway', 120), proc('order', 121), proc('consumer', 100)]),
    http('separate-0.1', 850, 15),
    http('separate-1.0', 599, 30),
    http('one-process', 1300, 8),
    consumer('consumer-bare', 1000, [proc('bare-consumer', 100)]),
    consumer('consumer-fulfilment', 800),
  ];
  const startup = ['gateway', 'order', 'consumer'].map((service) => ({
    service,
    samplesMs: [400, 1000],
    medianMs: 700,
    maxMs: service === 'order' ? 1001 : 1000,
  }));
  const met = Object.fromEntries(
    evaluateTargets({ scenarios, ceiling: { requestsPerSec: 1000, p99Ms: 10, runs: [1000] }, startup }).map((t) => [t.name, t.met]),
  );

  it('meets a target exactly at its bound and misses it just beyond', () => {
    expect(met).toEqual({
      'separate processes, sampling 0.1: throughput': true,
      'separate processes, sampling 0.1: p99 latency': true,
      'separate processes, sampling 1.0: throughput': false,
      'one process: throughput': true,
      'consumer drain': true,
      'gateway: ready after spawn': true,
      'order: ready after spawn': false,
      'consumer: ready after spawn': true,
      'gateway: RSS after load': true,
      'order: RSS after load': false,
      'consumer: RSS after load': true,
    });
  });

  it('counts a target whose scenario did not run as missed', () => {
    const targets = evaluateTargets({ scenarios: [], ceiling: { requestsPerSec: 1000, p99Ms: 10, runs: [1000] }, startup: [] });
    expect(targets.every((t) => !t.met)).toBe(true);
  });
});

describe('the ceiling the ratios use', () => {
  it('is the mean of the ceiling runs; the informational "same broker work" yardstick changes neither it nor the targets', () => {
    const scenarios = [http('ceiling', 1000, 10), http('separate-0.1', 850, 15), http('ceiling-again', 800, 20)];
    const ceiling = ceilingOf(scenarios);
    expect(ceiling).toEqual({ requestsPerSec: 900, p99Ms: 15, runs: [1000, 800] });
    const withDesign = [...scenarios.slice(0, 1), http('design-work', 300, 50), ...scenarios.slice(1)];
    expect(ceilingOf(withDesign)).toEqual(ceiling);
    expect(evaluateTargets({ scenarios: withDesign, ceiling, startup: [] })).toEqual(evaluateTargets({ scenarios, ceiling, startup: [] }));
  });
});
