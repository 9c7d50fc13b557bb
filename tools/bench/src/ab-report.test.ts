import { percentChange, renderAbReport, summarizeAb, type AbResults, type AbRun, type AbVariant } from './ab-report';
import { PLANS, type ConsumerScenarioResult, type HttpScenarioResult, type ProcessResult } from './results';

const proc = (name: string, startupMs: number, rssMiB: number): ProcessResult => ({ name, pid: 1, startupMs, cpuMs: 0, rssMiB });
const nats: ProcessResult = { name: 'nats-server', pid: 2, startupMs: 0, cpuMs: 0, rssMiB: 0 };

function http(id: string, requestsPerSec: number, p99: number, cpuMsPerRequest: number, processes: ProcessResult[]): HttpScenarioResult {
  return {
    kind: 'http',
    id,
    title: id === 'separate-off' ? 'Tandem, separate processes, tracing off' : 'Tandem, one process',
    tracing: 'off',
    connections: 32,
    durationSec: 10,
    requests: requestsPerSec * 10,
    requestsPerSec,
    latencyMs: { p50: 1, p90: 2, p99, max: p99, mean: 1 },
    non2xx: 0,
    statusCodes: { 201: requestsPerSec * 10 },
    errors: 0,
    timeouts: 0,
    cpuMsPerRequest,
    otherLoadCores: 0.1,
    processes: [...processes, nats],
    eventsStored: 0,
    created: 0,
  };
}

function consumer(id: string, messagesPerSec: number, cpuMsPerMessage: number, processes: ProcessResult[]): ConsumerScenarioResult {
  return {
    kind: 'consumer',
    id,
    title: id === 'consumer-bare' ? 'Bare consume() + ack loop' : 'Fulfilment consumer (zero simulated work)',
    messages: 1000,
    drainMs: (1000 * 1000) / messagesPerSec,
    messagesPerSec,
    cpuMsPerMessage,
    otherLoadCores: 0,
    processes: [...processes, nats],
    leftOver: 0,
  };
}

/** Two rounds; this build serves 10 % more at 20 % less CPU per request, with a little noise between rounds. */
function runs(): AbRun[] {
  const out: AbRun[] = [];
  for (const round of [1, 2]) {
    const noise = round === 1 ? 0.95 : 1.05;
    out.push({ round, scenario: consumer('consumer-bare', 20_000 * noise, 0.05, [proc('bare-consumer', 100, 40)]) });
    for (const variant of ['baseline', 'current'] as AbVariant[]) {
      const faster = variant === 'current' ? 1.1 : 1;
      const leaner = variant === 'current' ? 0.8 : 1;
      const rss = variant === 'current' ? 90 : 100;
      out.push({
        round,
        variant,
        scenario: http('separate-off', 1000 * faster * noise, 20 / faster, 2 * leaner, [
          proc('order', 400 + round, rss),
          proc('consumer', 300, rss),
          proc('gateway', 350, rss + round),
        ]),
      });
      out.push({
        round,
        variant,
        scenario: http('one-process', 2000 * faster * noise, 10, 1 * leaner, [proc('all-in-one', 600, 150)]),
      });
      out.push({
        round,
        variant,
        scenario: consumer('consumer-fulfilment', 5000 * faster, 0.2 * leaner, [proc('consumer', 320, rss)]),
      });
    }
  }
  return out;
}

const results = (r: AbRun[]): AbResults => ({
  date: '2025-01-02T03:04:05.000Z',
  command: 'npm run bench -- --baseline tmp/baseline-apps',
  quick: false,
  plan: PLANS.full,
  machine: {
    cpuModel: 'Test CPU',
    cores: 2,
    memoryGiB: 8,
    os: 'Linux 6.0',
    node: 'v24.0.0',
    natsServer: 'nats-server: v2.11.0',
    autocannon: '8.0.0',
    loadAverageBefore: [0.5, 0.4, 0.3],
    loadAverageAfter: [1.5, 1, 0.5],
  },
  rounds: 2,
  dirs: { baseline: 'tmp/baseline-apps', current: 'dist/apps' },
  nodeFlags: { baseline: ['--enable-source-maps'], current: ['--enable-source-maps', '--max-semi-space-size=8'] },
  runs: r,
  wallClockSec: 123.4,
});

describe('A/B summary', () => {
  it('averages the rounds per variant and reports the change of throughput and CPU per request in %', () => {
    const summary = summarizeAb(runs());
    expect(summary.scenarios.map((s) => s.id)).toEqual(['separate-off', 'one-process', 'consumer-fulfilment']);
    const [separate, , fulfilment] = summary.scenarios;
    expect(separate?.unit).toBe('req/s');
    expect(separate?.variants.baseline?.throughput.rounds).toEqual([950, 1050]);
    expect(separate?.variants.baseline?.throughput.mean).toBeCloseTo(1000);
    expect(separate?.variants.current?.throughput.mean).toBeCloseTo(1100);
    expect(separate?.change?.throughputPct).toBeCloseTo(10);
    expect(separate?.change?.cpuPct).toBeCloseTo(-20);
    expect(separate?.change?.p99Pct).toBeCloseTo((1 / 1.1 - 1) * 100);
    expect(fulfilment?.unit).toBe('msg/s');
    expect(fulfilment?.variants.current?.p99Ms).toBeUndefined();
    expect(fulfilment?.change?.p99Pct).toBeUndefined();
    expect(summary.yardstick?.variants.baseline?.throughput.rounds).toEqual([19_000, 21_000]);
    expect(summary.yardstick?.change).toBeUndefined();
  });

  it('collects start-up and RSS per service and variant, not nats-server or the yardstick', () => {
    const { processes } = summarizeAb(runs());
    expect(processes.map((p) => p.service).sort()).toEqual(['all-in-one', 'consumer', 'gateway', 'order']);
    const consumerRow = processes.find((p) => p.service === 'consumer');
    // two HTTP runs (300 ms) and two drains (320 ms) per variant
    expect(consumerRow?.variants.baseline).toMatchObject({ starts: 4, startupMedianMs: 310, startupMaxMs: 320 });
    expect(consumerRow?.variants.current?.rssMiB).toEqual({ min: 90, max: 90, mean: 90 });
    expect(processes.find((p) => p.service === 'gateway')?.variants.baseline?.rssMiB).toEqual({ min: 101, max: 102, mean: 101.5 });
  });

  it('flags runs with failed requests or messages left over', () => {
    const r = runs();
    const [, first] = r;
    if (first?.scenario.kind !== 'http') throw new Error('the second run is an HTTP scenario');
    r[1] = { ...first, scenario: { ...first.scenario, non2xx: 3, errors: 1 } };
    expect(summarizeAb(r).problems).toEqual(['round 1, baseline, Tandem, separate processes, tracing off: 3 non-2xx, 1 errors']);
  });

  it('computes changes against the baseline', () => {
    expect(percentChange(200, 150)).toBe(-25);
    expect(percentChange(0, 1)).toBeNaN();
  });
});

describe('A/B report', () => {
  const text = renderAbReport(results(runs()));

  it('shows each variant as the mean with both rounds, then the change', () => {
    expect(text).toContain(
      '| Tandem, separate processes, tracing off (req/s) | baseline | 1,000 (950 / 1,050) | 20.0 (20.0 / 20.0) | 2.00 (2.00 / 2.00) |',
    );
    expect(text).toContain('| | this build | 1,100 (1,045 / 1,155) | 18.2 (18.2 / 18.2) | 1.60 (1.60 / 1.60) |');
    expect(text).toContain('| | **change** | **+10.0 %** | -9.1 % | **-20.0 %** |');
    expect(text).toContain(
      '| Fulfilment consumer (zero simulated work) (msg/s) | baseline | 5,000 (5,000 / 5,000) | – | 0.20 (0.20 / 0.20) |',
    );
    expect(text).toContain('| Bare consume() + ack loop (msg/s) | both (yardstick) | 20,000 (19,000 / 21,000) | – | 0.05 (0.05 / 0.05) |');
  });

  it('lists start-up median / max and RSS per service and variant', () => {
    expect(text).toContain('| order | 402 / 402 (2) | 402 / 402 (2) | 100.0 | 90.0 | -10.0 % |');
    expect(text).toContain('| gateway | 350 / 350 (2) | 350 / 350 (2) | 101.0–102.0 | 91.0–92.0 | -9.9 % |');
  });

  it('says when, where, on what and with which command it ran', () => {
    expect(text).toContain('`npm run bench -- --baseline tmp/baseline-apps` on 2025-01-02T03:04:05.000Z.');
    expect(text).toContain(
      'baseline: `tmp/baseline-apps` (`node --enable-source-maps`); this build: `dist/apps` (`node --enable-source-maps --max-semi-space-size=8`)',
    );
    expect(text).toContain('Test CPU, 2 cores, 8 GiB, Linux 6.0; Node v24.0.0');
    expect(text).not.toMatch(/quick mode/);
    expect(text).not.toMatch(/Check these runs/);
  });

  it('marks a quick run', () => {
    expect(renderAbReport({ ...results(runs()), quick: true })).toMatch(/quick mode: a smoke test/);
  });
});
