import { join } from 'node:path';
import type { BenchPlan } from './results';

/** What every scenario needs: where things are, how long to run, where to log. */
export interface BenchContext {
  /** The workspace root (holds dist/apps). */
  readonly root: string;
  /** Where the built apps are (`<app>/main.js`); `dist/apps` under the root unless an A/B run's baseline says otherwise. */
  readonly appsDir?: string;
  /** Node flags of the Tandem apps; NODE_FLAGS (as their image runs them) unless an A/B run's baseline says otherwise. */
  readonly nodeFlags?: readonly string[];
  /** The folder of the bench's own bundles (ceiling, bare consumer, OTLP sink). */
  readonly benchDir: string;
  /** Service output goes here, one file per process. */
  readonly logDir: string;
  readonly plan: BenchPlan;
  /** The OTLP sink's base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly sinkUrl: string;
  /** The OTLP sink's pid (its CPU is the bench's own, not "other load"). */
  readonly sinkPid: number;
  /** Progress line on stderr. */
  readonly progress: (line: string) => void;
}

/** The built apps the bench runs, as their containers run them. */
export const APPS = ['gateway', 'order', 'consumer', 'all-in-one'] as const;
export type BenchApp = (typeof APPS)[number];

export function appScript(context: Pick<BenchContext, 'root' | 'appsDir'>, app: BenchApp): string {
  return join(context.appsDir ?? join(context.root, 'dist', 'apps'), app, 'main.js');
}

/** The bench's own bundles, beside main.js; the ceiling's in `ceiling/`, as in the sources. */
export const BENCH_BUNDLES = ['ceiling-gateway', 'ceiling-service', 'design-workers', 'bare-consumer', 'otlp-sink'] as const;
const CEILING_BUNDLES: ReadonlySet<string> = new Set(['ceiling-gateway', 'ceiling-service', 'design-workers']);

export function benchScript(context: Pick<BenchContext, 'benchDir'>, name: (typeof BENCH_BUNDLES)[number]): string {
  return CEILING_BUNDLES.has(name) ? join(context.benchDir, 'ceiling', `${name}.js`) : join(context.benchDir, `${name}.js`);
}
