import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NODE_FLAGS } from '@tandem/testing';
import { natsServerBinary, workspaceRoot } from '@tandem/testing';
import { AB_ROUNDS, renderAbReport, summarizeAb, type AbResults } from './ab-report';
import { runAbRounds } from './ab-run';
import { parseBenchArgs, resolveBaselineDir, USAGE, UsageError } from './bench-args';
import { APPS, appScript, BENCH_BUNDLES, benchScript, type BenchContext } from './bench-context';
import { BenchProcess, configureMemoryLimits, startedProcesses, stopAll } from './bench-process';
import { runConsumerThroughput } from './consumer-throughput';
import { runColdStart } from './cold-start';
import { httpScenarios, runHttpScenario } from './http-scenarios';
import { median } from './percentiles';
import { runIdleStreams } from './idle-streams';
import { machineInfo } from './machine';
import { deployMemoryLimitMiB, LIMIT_OF } from './memory-limits';
import { procAvailable } from './proc-stats';
import { chartPanels, preservedFindings, renderReport } from './report';
import { PLANS, type BenchResults, type ScenarioResult } from './results';
import { svgChart } from './svg-chart';
import { ceilingOf, evaluateTargets } from './targets';

const EXIT_USAGE = 2;

/** Set on SIGINT/SIGTERM: the signal handler cleans up and exits; errors the interruption causes are not reported. */
let interrupted = false;
const never = () => new Promise<never>(() => undefined);

function fail(message: string, code = 1): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
}

async function main(argv: readonly string[]): Promise<void> {
  let args;
  try {
    args = parseBenchArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n\n${USAGE}`, EXIT_USAGE);
    throw error;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!procAvailable()) fail('reads CPU time and memory from /proc: it runs on Linux only');
  const root = workspaceRoot(__dirname);
  let baselineDir: string | undefined;
  try {
    if (args.baseline !== undefined) baselineDir = resolveBaselineDir(root, process.cwd(), args.baseline);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n\n${USAGE}`, EXIT_USAGE);
    throw error;
  }
  const context0 = { root, benchDir: __dirname };
  const missing = APPS.map((app) => appScript(context0, app)).filter((script) => !existsSync(script));
  if (missing.length > 0) {
    fail(
      `the built apps are missing (${missing.map((m) => relative(root, m)).join(', ')}).\n` +
        'Build them first: npm run build (npm run bench builds them itself; so does npx nx run bench:build).',
    );
  }
  for (const name of BENCH_BUNDLES) {
    if (!existsSync(benchScript(context0, name)))
      fail(`${name}.js is missing next to main.js: build the bench with npx nx run bench:build`);
  }
  natsServerBinary(); // throws a clear message when there is none

  const began = performance.now();
  const plan = args.quick ? PLANS.quick : PLANS.full;
  const outDir = resolve(process.cwd(), args.outDir);
  const logDir = await mkdtemp(join(tmpdir(), 'tandem-bench-'));
  const machine = machineInfo();
  const progress = (line: string) =>
    process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress(`${signal}: stopping every process the bench started`);
    void stopAll()
      .then(() => rm(logDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sink = await BenchProcess.start(
    { name: 'otlp-sink', script: benchScript(context0, 'otlp-sink'), env: {}, readyLine: /listening on \d+/ },
    logDir,
  );
  const sinkPort = /listening on (\d+)/.exec(sink.output())?.[1];
  const sinkUrl = `http://127.0.0.1:${sinkPort}`;
  const sinkStats = async () => (await (await fetch(`${sinkUrl}/stats`)).json()) as { requests: number; bytes: number };
  const context: BenchContext = { ...context0, logDir, plan, sinkUrl, sinkPid: sink.pid, progress };
  // Every process under the memory limit deploy/ gives it (yardsticks: their service's).
  const limitsMiB = Object.fromEntries(Object.entries(LIMIT_OF).map(([name, app]) => [name, deployMemoryLimitMiB(root, app)]));
  const noCgroups = configureMemoryLimits(limitsMiB);
  const memory = { cgroups: noCgroups === undefined, ...(noCgroups === undefined ? {} : { reason: noCgroups }), limitsMiB };
  progress(
    noCgroups === undefined
      ? 'memory: each process in a memory cgroup under its deploy/ limit'
      : `memory: no cgroups (${noCgroups}); peak is VmHWM`,
  );
  /** Runs the measurements; a failure stops every process and exits naming the kept logs. The sink stops either way. */
  const measure = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (interrupted) await never();
      await stopAll();
      fail(`${(error as Error).message}\n(service logs kept in ${logDir})`);
    } finally {
      await sink.stop();
    }
  };

  if (baselineDir !== undefined) {
    progress(`A/B ${args.quick ? 'quick' : 'full'} run, baseline ${baselineDir}; service logs in ${logDir}`);
    const runs = await measure(() => runAbRounds(context, baselineDir, args.baselineNodeFlags, sinkStats));
    const ab: AbResults = {
      date: new Date().toISOString(),
      command: commandLine(argv),
      quick: args.quick,
      plan,
      machine: { ...machine, loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100) },
      rounds: AB_ROUNDS,
      dirs: { baseline: relative(root, baselineDir) || '.', current: 'dist/apps' },
      nodeFlags: { baseline: args.baselineNodeFlags ?? NODE_FLAGS, current: NODE_FLAGS },
      runs,
      wallClockSec: (performance.now() - began) / 1000,
    };
    const summary = summarizeAb(runs);
    const report = renderAbReport(ab, summary);
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'ab.json'), `${JSON.stringify({ ...ab, summary, processes: startedProcesses }, null, 2)}\n`);
    await writeFile(join(outDir, 'ab.md'), report);
    await rm(logDir, { recursive: true, force: true });
    process.stdout.write(`${report}\nreport: ${relative(process.cwd(), join(outDir, 'ab.md')) || join(outDir, 'ab.md')}\n`);
    return;
  }

  progress(`${args.quick ? 'quick' : 'full'} run; service logs in ${logDir}`);
  const measured = await measure(async () => {
    const done: ScenarioResult[] = [];
    const { first, last } = httpScenarios();
    for (const scenario of first) done.push(await runHttpScenario(scenario, context, sinkStats));
    done.push(...(await runConsumerThroughput(context)));
    const idle = await runIdleStreams(context);
    const coldStart = await runColdStart(context);
    if (plan.repeatCeiling) for (const scenario of last) done.push(await runHttpScenario(scenario, context, sinkStats));
    return { done, idle, coldStart };
  });
  const { done: scenarios, idle: idleStreams, coldStart } = measured;

  const ceiling = ceilingOf(scenarios);
  const samples = new Map<string, number[]>();
  for (const s of scenarios)
    for (const p of s.processes) if (p.name !== 'nats-server') samples.set(p.name, [...(samples.get(p.name) ?? []), p.startupMs]);
  const startup = [...samples].map(([service, samplesMs]) => ({
    service,
    samplesMs,
    medianMs: median(samplesMs),
    maxMs: Math.max(...samplesMs),
  }));
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  const results: BenchResults = {
    date: new Date().toISOString(),
    command,
    quick: args.quick,
    plan,
    machine: { ...machine, loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100) },
    scenarios,
    ceiling,
    startup,
    memory,
    targets: evaluateTargets({ scenarios, ceiling, startup, memory }),
    idleStreams,
    coldStart,
    processes: startedProcesses,
    wallClockSec: (performance.now() - began) / 1000,
  };

  await mkdir(outDir, { recursive: true });
  const readmePath = join(outDir, 'README.md');
  const existing = existsSync(readmePath) ? await readFile(readmePath, 'utf8') : undefined;
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(
    join(outDir, 'chart.svg'),
    svgChart(chartPanels(results), `${command} · ${results.date.slice(0, 10)} · ${machine.cores} cores`),
  );
  await writeFile(readmePath, renderReport(results, preservedFindings(existing)));
  await rm(logDir, { recursive: true, force: true });

  for (const s of scenarios) {
    const line =
      s.kind === 'http'
        ? `${s.title}: ${s.requestsPerSec.toFixed(0)} req/s, p99 ${s.latencyMs.p99.toFixed(1)} ms, ${(s.requestsPerSec / ceiling.requestsPerSec).toFixed(2)}× ceiling`
        : `${s.title}: ${s.messagesPerSec.toFixed(0)} msg/s`;
    process.stdout.write(`${line}\n`);
  }
  process.stdout.write(
    `${idleStreams.opened} idle event streams: ${idleStreams.processes.map((p) => `${p.name} ${p.kibPerStream.toFixed(1)} KiB/stream`).join(', ')}\n`,
  );
  process.stdout.write(
    `fulfilment woken from zero: first order handled ${coldStart.firstHandledMedianMs.toFixed(0)} ms after spawn (median of ${coldStart.wakes}), ready ${coldStart.readyMedianMs.toFixed(0)} ms\n`,
  );
  for (const t of results.targets) process.stdout.write(`${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.measured} (wanted ${t.target})\n`);
  process.stdout.write(`report: ${relative(process.cwd(), readmePath) || readmePath}\n`);
}

/** The command as typed: `npm run bench -- …` when npm ran it, else `node <script> …`. */
function commandLine(argv: readonly string[]): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  const args = argv.map(quote).join(' ');
  if (process.env['npm_lifecycle_event'] === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  const script = relative(process.cwd(), process.argv[1] ?? '') || process.argv[1] || 'main.js';
  return `node ${quote(script)}${args ? ` ${args}` : ''}`;
}

main(process.argv.slice(2)).catch(async (error: unknown) => {
  if (interrupted) await never();
  await stopAll();
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
});
