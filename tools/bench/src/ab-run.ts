import { AB_HTTP_SCENARIOS, AB_ROUNDS, AB_VARIANTS, type AbRun, type AbVariant } from './ab-report';
import type { BenchContext } from './bench-context';
import { runConsumerThroughput } from './consumer-throughput';
import { httpScenarios, runHttpScenario } from './http-scenarios';

/**
 * The A/B runs, interleaved so that drift hits both builds alike: per round, the bare consume
 * loop once (the yardstick), then for each variant (baseline first in odd rounds, this build
 * first in even ones) separate processes
 * with tracing off and sampled at 0.1, one process, and the fulfilment consumer's drain. `baselineDir` holds the
 * baseline's apps; this build's are the context's own.
 */
export async function runAbRounds(
  context: BenchContext,
  baselineDir: string,
  baselineNodeFlags: readonly string[] | undefined,
  sinkStats: () => Promise<{ requests: number; bytes: number }>,
  rounds = AB_ROUNDS,
): Promise<AbRun[]> {
  const contexts: Record<AbVariant, BenchContext> = {
    baseline: {
      ...context,
      appsDir: baselineDir,
      ...(baselineNodeFlags !== undefined ? { nodeFlags: baselineNodeFlags } : {}),
      progress: (line) => context.progress(`[baseline] ${line}`),
    },
    current: { ...context, progress: (line) => context.progress(`[this build] ${line}`) },
  };
  const yardstick: BenchContext = { ...context, progress: (line) => context.progress(`[yardstick] ${line}`) };
  const { first } = httpScenarios();
  const http = AB_HTTP_SCENARIOS.map((id) => {
    const scenario = first.find((s) => s.id === id);
    if (!scenario) throw new Error(`no HTTP scenario ${id}`);
    return scenario;
  });
  const runs: AbRun[] = [];
  for (let round = 1; round <= rounds; round++) {
    context.progress(`A/B round ${round} of ${rounds}`);
    for (const scenario of await runConsumerThroughput(yardstick, 'consumer-bare')) runs.push({ round, scenario });
    // ABBA: the order flips every round, so steady drift (heat, caches) favours neither build.
    const order = round % 2 === 1 ? AB_VARIANTS : [...AB_VARIANTS].reverse();
    for (const variant of order) {
      const variantContext = contexts[variant];
      variantContext.progress(`apps from ${variantContext.appsDir ?? 'dist/apps'}`);
      for (const scenario of http) runs.push({ round, variant, scenario: await runHttpScenario(scenario, variantContext, sinkStats) });
      for (const scenario of await runConsumerThroughput(variantContext, 'consumer-fulfilment')) runs.push({ round, variant, scenario });
    }
  }
  return runs;
}
