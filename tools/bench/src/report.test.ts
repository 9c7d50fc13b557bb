import { chartPanels, FINDINGS_END, FINDINGS_START, preservedFindings, renderReport } from './report';
import { PLANS, type BenchResults, type HttpScenarioResult } from './results';

describe('report findings block', () => {
  it('keeps the hand-written findings when the report is regenerated', () => {
    const existing = `# Benchmarks\n\nold table\n\n${FINDINGS_START}\nProfiling showed X.\n\n- and Y\n${FINDINGS_END}\n\nold footer`;
    expect(preservedFindings(existing)).toBe('Profiling showed X.\n\n- and Y');
  });

  it('starts with a placeholder when there is no report or no block yet', () => {
    expect(preservedFindings(undefined)).toMatch(/None written yet/);
    expect(preservedFindings('# Benchmarks\nno markers')).toMatch(/None written yet/);
  });
});

const http = (id: string, title: string, requestsPerSec: number): HttpScenarioResult => ({
  kind: 'http',
  id,
  title,
  tracing: 'none',
  connections: 32,
  durationSec: 10,
  requests: requestsPerSec * 10,
  requestsPerSec,
  latencyMs: { p50: 1, p90: 2, p99: 4, max: 5, mean: 1 },
  non2xx: 0,
  statusCodes: { '201': requestsPerSec * 10 },
  errors: 0,
  timeouts: 0,
  cpuMsPerRequest: 0.5,
  otherLoadCores: 0,
  processes: [],
  eventsStored: requestsPerSec * 10,
  created: requestsPerSec * 10,
});
const results: BenchResults = {
  date: '2026-01-01T00:00:00.000Z',
  command: 'npm run bench',
  quick: false,
  plan: PLANS.full,
  machine: {
    cpuModel: 'cpu',
    cores: 2,
    memoryGiB: 4,
    os: 'linux',
    node: 'v22',
    natsServer: 'nats-server',
    autocannon: '8',
    loadAverageBefore: [0],
    loadAverageAfter: [0],
  },
  scenarios: [http('ceiling', 'Ceiling', 4000), http('design-work', 'Same broker work, no framework', 1000)],
  ceiling: { requestsPerSec: 4000, p99Ms: 4, runs: [4000] },
  startup: [],
  targets: [],
  processes: [],
  wallClockSec: 60,
};

describe('the yardstick "Same broker work, no framework"', () => {
  it('is a row of the results table with its ratio to the ceiling, and is described under "How it was measured"', () => {
    const report = renderReport(results, 'none');
    expect(report).toContain('| Same broker work, no framework | 1,000 | 1.0 | 2.0 | 4.0 | 0 | 0 | 0.50 | 0.25× | 1.00× | 0.00 |');
    expect(report).toMatch(
      /^- "Same broker work, no framework" is the ceiling doing Tandem's broker work .*CEILING_WORK=design.*expected last subject sequence of 0/m,
    );
  });

  it('is a grey (yardstick) bar in the chart, with a short label', () => {
    expect(chartPanels(results)[0]?.bars).toEqual([
      { label: 'ceiling', value: 4000, color: '#8c8c8c' },
      { label: 'same broker work, no framework', value: 1000, color: '#8c8c8c' },
    ]);
  });
});

describe('the idle event streams section', () => {
  const base: BenchResults = {
    ...results,
    scenarios: [],
  };

  it('reports what each process pays per open stream, and is absent from reports without it', () => {
    const report = renderReport(
      {
        ...base,
        idleStreams: {
          streams: 1_000,
          opened: 1_000,
          openSec: 2.5,
          idleSec: 20,
          processes: [
            {
              name: 'order',
              rssBeforeMiB: 100,
              rssAfterMiB: 110,
              kibPerStream: 10.24,
              cpuMsPerSec: 3.25,
              peakMiB: 140,
              memoryLimitMiB: 256,
            },
            { name: 'nats-server', rssBeforeMiB: 20, rssAfterMiB: 21, kibPerStream: 1.02, cpuMsPerSec: 0.5 },
          ],
        },
      },
      '',
    );
    expect(report).toContain('1,000 of 1,000 order event streams');
    expect(report).toContain('| order | 100.0 | 110.0 | 10.2 | 3.3 | 140 / 256 |');
    expect(report).toContain('| nats-server | 20.0 | 21.0 | 1.0 | 0.5 | – |');
    expect(renderReport(base, '')).not.toContain('order event streams');
  });
});

describe('the waking-from-zero section', () => {
  it('gives the median and max of spawn → first order handled, and is absent from reports without it', () => {
    const coldStart = {
      wakes: 3,
      readyMs: [900, 950, 1000],
      firstHandledMs: [1100, 1250, 1400],
      readyMedianMs: 950,
      firstHandledMedianMs: 1250,
      firstHandledMaxMs: 1400,
    };
    const report = renderReport({ ...results, coldStart }, 'none');
    expect(report).toContain('Waking from zero: the fulfilment worker started 3 times with one order waiting');
    expect(report).toContain("spawn → the order's `orders.fulfilled` stored: median 1,250 ms, max 1,400 ms");
    expect(report).toContain('Spawn → first `/readyz` 200: median 950 ms');
    expect(renderReport(results, 'none')).not.toContain('Waking from zero');
  });
});
