import type { BenchPlan, MachineInfo, ScenarioResult } from './results';

/** The two builds an A/B run compares. */
export type AbVariant = 'baseline' | 'current';
export const AB_VARIANTS: readonly AbVariant[] = ['baseline', 'current'];
export const VARIANT_LABEL: Readonly<Record<AbVariant, string>> = { baseline: 'baseline', current: 'this build' };

/** The HTTP scenarios an A/B run measures per variant, in the order they run (then the consumer's drain). */
export const AB_HTTP_SCENARIOS = ['separate-off', 'separate-0.1', 'one-process'] as const;
/** The scenarios an A/B run measures per variant, in the order they run. */
export const AB_SCENARIOS = [...AB_HTTP_SCENARIOS, 'consumer-fulfilment'] as const;
/** Rounds of an A/B run: each runs both variants, so drift between them shows as round-to-round spread. */
export const AB_ROUNDS = 2;
/** The yardstick, once per round (it runs no app, so it is the same for both variants). */
export const AB_YARDSTICK = 'consumer-bare';

/** One measured scenario of an A/B run; the yardstick has no variant. */
export interface AbRun {
  readonly round: number;
  readonly variant?: AbVariant;
  readonly scenario: ScenarioResult;
}

/** What `npm run bench -- --baseline <dir>` writes to ab.json (plus `summary`). */
export interface AbResults {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly plan: BenchPlan;
  readonly machine: MachineInfo;
  readonly rounds: number;
  /** The apps directories, relative to the workspace root. */
  readonly dirs: Readonly<Record<AbVariant, string>>;
  /** The Node flags each variant's apps ran with. */
  readonly nodeFlags: Readonly<Record<AbVariant, readonly string[]>>;
  readonly runs: readonly AbRun[];
  readonly wallClockSec: number;
}

/** A value per round and their mean. */
export interface RoundValues {
  readonly mean: number;
  readonly rounds: readonly number[];
}

export interface AbScenarioRow {
  readonly id: string;
  readonly title: string;
  readonly unit: 'req/s' | 'msg/s';
  /** Per variant (the yardstick: only under `baseline`, with `current` absent). */
  readonly variants: Partial<
    Record<AbVariant, { readonly throughput: RoundValues; readonly p99Ms?: RoundValues; readonly cpuMsPerUnit: RoundValues }>
  >;
  /** This build against the baseline, in % (absent for the yardstick). */
  readonly change?: { readonly throughputPct: number; readonly p99Pct?: number; readonly cpuPct: number };
}

export interface AbProcessRow {
  readonly service: string;
  readonly variants: Partial<
    Record<
      AbVariant,
      {
        readonly startupMedianMs: number;
        readonly startupMaxMs: number;
        readonly starts: number;
        readonly rssMiB: { readonly min: number; readonly max: number; readonly mean: number };
      }
    >
  >;
}

export interface AbSummary {
  readonly scenarios: readonly AbScenarioRow[];
  readonly yardstick?: AbScenarioRow;
  readonly processes: readonly AbProcessRow[];
  /** Runs that had non-2xx answers, errors or messages left over: their numbers are suspect. */
  readonly problems: readonly string[];
  /** The most CPU other processes used during any measured window, in cores, per variant. */
  readonly maxOtherLoadCores: Readonly<Record<AbVariant, number>>;
}

const mean = (values: readonly number[]) => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** (current − baseline) / baseline in %. */
export function percentChange(baseline: number, current: number): number {
  return baseline === 0 ? Number.NaN : ((current - baseline) / baseline) * 100;
}

const roundValues = (values: readonly number[]): RoundValues => ({ mean: mean(values), rounds: values });

function scenarioRow(id: string, runs: readonly AbRun[]): AbScenarioRow | undefined {
  const matching = runs.filter((r) => r.scenario.id === id).sort((a, b) => a.round - b.round);
  const first = matching[0]?.scenario;
  if (!first) return undefined;
  const variants: Record<string, NonNullable<AbScenarioRow['variants'][AbVariant]>> = {};
  for (const variant of AB_VARIANTS) {
    const ofVariant = matching.filter((r) => (r.variant ?? 'baseline') === variant).map((r) => r.scenario);
    if (ofVariant.length === 0) continue;
    variants[variant] = {
      throughput: roundValues(ofVariant.map((s) => (s.kind === 'http' ? s.requestsPerSec : s.messagesPerSec))),
      ...(first.kind === 'http' ? { p99Ms: roundValues(ofVariant.map((s) => (s.kind === 'http' ? s.latencyMs.p99 : Number.NaN))) } : {}),
      cpuMsPerUnit: roundValues(ofVariant.map((s) => (s.kind === 'http' ? s.cpuMsPerRequest : s.cpuMsPerMessage))),
    };
  }
  const { baseline, current } = variants;
  return {
    id,
    title: first.title,
    unit: first.kind === 'http' ? 'req/s' : 'msg/s',
    variants,
    ...(baseline && current
      ? {
          change: {
            throughputPct: percentChange(baseline.throughput.mean, current.throughput.mean),
            ...(baseline.p99Ms && current.p99Ms ? { p99Pct: percentChange(baseline.p99Ms.mean, current.p99Ms.mean) } : {}),
            cpuPct: percentChange(baseline.cpuMsPerUnit.mean, current.cpuMsPerUnit.mean),
          },
        }
      : {}),
  };
}

/** Means over the rounds, changes, start-up and RSS per service and variant, and what looks wrong. */
export function summarizeAb(runs: readonly AbRun[]): AbSummary {
  const scenarios = AB_SCENARIOS.map((id) => scenarioRow(id, runs)).filter((row): row is AbScenarioRow => row !== undefined);
  const yardstick = scenarioRow(AB_YARDSTICK, runs);

  const services = new Map<string, Partial<Record<AbVariant, { startup: number[]; rss: number[] }>>>();
  const problems: string[] = [];
  const maxOtherLoadCores: Record<AbVariant, number> = { baseline: 0, current: 0 };
  for (const { round, variant, scenario: s } of runs) {
    const where = `round ${round}${variant ? `, ${VARIANT_LABEL[variant]}` : ''}, ${s.title}`;
    if (s.kind === 'http' && (s.non2xx > 0 || s.errors > 0)) problems.push(`${where}: ${s.non2xx} non-2xx, ${s.errors} errors`);
    if (s.kind === 'consumer' && s.leftOver > 0) problems.push(`${where}: ${s.leftOver} messages left over`);
    if (!variant) continue;
    maxOtherLoadCores[variant] = Math.max(maxOtherLoadCores[variant], s.otherLoadCores);
    for (const p of s.processes) {
      if (p.name === 'nats-server') continue;
      const entry = services.get(p.name) ?? {};
      const samples = (entry[variant] ??= { startup: [], rss: [] });
      samples.startup.push(p.startupMs);
      samples.rss.push(p.rssMiB);
      services.set(p.name, entry);
    }
  }
  const processes = [...services].map(([service, byVariant]) => {
    const variants: AbProcessRow['variants'] = Object.fromEntries(
      Object.entries(byVariant).map(([variant, { startup, rss }]) => [
        variant,
        {
          startupMedianMs: median(startup),
          startupMaxMs: Math.max(...startup),
          starts: startup.length,
          rssMiB: { min: Math.min(...rss), max: Math.max(...rss), mean: mean(rss) },
        },
      ]),
    );
    return { service, variants };
  });
  return { scenarios, ...(yardstick ? { yardstick } : {}), processes, problems, maxOtherLoadCores };
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const pct = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : `${n >= 0 ? '+' : ''}${n.toFixed(1)} %`);
const withRounds = (v: RoundValues | undefined, format: (n: number) => string) =>
  v ? `${format(v.mean)} (${v.rounds.map(format).join(' / ')})` : '–';

function scenarioLines(row: AbScenarioRow, yardstick = false): string[] {
  const title = `${row.title} (${row.unit})`;
  const lines = AB_VARIANTS.filter((v) => row.variants[v]).map((variant, i) => {
    const v = row.variants[variant];
    const label = yardstick ? 'both (yardstick)' : VARIANT_LABEL[variant];
    const cells = [i === 0 ? title : '', label, withRounds(v?.throughput, int), withRounds(v?.p99Ms, f1), withRounds(v?.cpuMsPerUnit, f2)];
    return `| ${cells.join(' | ')} |`.replace('|  |', '| |');
  });
  if (row.change)
    lines.push(`| | **change** | **${pct(row.change.throughputPct)}** | ${pct(row.change.p99Pct)} | **${pct(row.change.cpuPct)}** |`);
  return lines;
}

function processLines(summary: AbSummary): string[] {
  return summary.processes.map((row) => {
    const cells = [row.service];
    for (const variant of AB_VARIANTS) {
      const v = row.variants[variant];
      cells.push(v ? `${int(v.startupMedianMs)} / ${int(v.startupMaxMs)} (${v.starts})` : '–');
    }
    for (const variant of AB_VARIANTS) {
      const v = row.variants[variant];
      cells.push(v ? (v.rssMiB.min === v.rssMiB.max ? f1(v.rssMiB.min) : `${f1(v.rssMiB.min)}–${f1(v.rssMiB.max)}`) : '–');
    }
    const [b, c] = AB_VARIANTS.map((variant) => row.variants[variant]?.rssMiB.mean);
    cells.push(b !== undefined && c !== undefined ? pct(percentChange(b, c)) : '–');
    return `| ${cells.join(' | ')} |`;
  });
}

/** ab.md (also printed): the comparison table, start-up and RSS, and how it was measured. */
export function renderAbReport(results: AbResults, summary: AbSummary = summarizeAb(results.runs)): string {
  const m = results.machine;
  const { plan } = results;
  const order = AB_VARIANTS.map((v) => VARIANT_LABEL[v]).join(', then ');
  const problems =
    summary.problems.length > 0
      ? `\n**Check these runs before quoting the numbers:**\n\n${summary.problems.map((p) => `- ${p}`).join('\n')}\n`
      : '';
  return `# Bench A/B: baseline vs this build

\`${results.command}\` on ${results.date}${results.quick ? ' — **quick mode: a smoke test, not a measurement**' : ''}.

- baseline: \`${results.dirs.baseline}\` (\`node ${results.nodeFlags.baseline.join(' ')}\`); this build: \`${results.dirs.current}\` (\`node ${results.nodeFlags.current.join(' ')}\`)
- ${results.rounds} rounds in this one run, each: the bare consume loop (yardstick), then ${order}, each running
  the scenarios below on fresh nats-servers. ${plan.connections} connections, ${plan.warmupSec} s warm-up, ${plan.durationSec} s measured; backlog ${int(plan.backlog)}.
- Each cell: mean of the rounds (round values in brackets). **change** is this build against the baseline
  (lower CPU per request or message is better). CPU counts every process of the scenario, nats-server included.

| Scenario | | req/s or msg/s | p99 ms | CPU ms per req or msg |
|---|---|---:|---:|---:|
${[...summary.scenarios.flatMap((row) => scenarioLines(row)), ...(summary.yardstick ? scenarioLines(summary.yardstick, true) : [])].join('\n')}

Start-up (spawn → ready: median / max ms, number of starts) and RSS after load (MiB, min–max over the runs):

| Process | start-up baseline | start-up this build | RSS baseline | RSS this build | RSS change |
|---|---:|---:|---:|---:|---:|
${processLines(summary).join('\n')}
${problems}
Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}, ${m.natsServer}, autocannon ${m.autocannon}.
Load average (1/5/15 min) before: ${m.loadAverageBefore.join(' / ')}, after: ${m.loadAverageAfter.join(' / ')}; other load during the measured windows (max, cores): baseline ${f2(summary.maxOtherLoadCores.baseline)}, this build ${f2(summary.maxOtherLoadCores.current)}. The run took ${Math.round(results.wallClockSec)} s.
`;
}
