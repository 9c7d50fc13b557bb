/** What `npm run bench -- …` was asked to do. */
export interface BenchArgs {
  /** A few seconds per scenario and a small backlog: proves the bench works, measures nothing worth quoting. */
  readonly quick: boolean;
  /** Where README.md, chart.svg and results.json go (relative to the working directory). */
  readonly outDir: string;
  readonly help: boolean;
}

/** Full runs write the committed report; quick runs stay out of it unless `--out` says otherwise. */
export const DEFAULT_OUT = { full: 'docs/benchmarks', quick: 'tmp/bench-quick' } as const;

export const USAGE = `Usage: npm run bench [-- --quick] [--out <dir>]

Starts its own nats-server and the built apps on 127.0.0.1, then measures: the bare
ceiling, Tandem as separate processes (tracing off, sampling 0.1, sampling 1.0), Tandem
in one process, consumer throughput against a bare consume loop, start-up and memory.
Writes README.md (table and targets), chart.svg and results.json.

  --quick       a few seconds per scenario, backlog of 2 000 (a smoke test; numbers are not comparable)
  --out <dir>   output directory (default ${DEFAULT_OUT.full}; with --quick, ${DEFAULT_OUT.quick})
  --help        this text`;

/** Thrown for arguments the bench does not understand; the message says which. */
export class UsageError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let help = false;
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--out' || arg.startsWith('--out=')) {
      const value = arg === '--out' ? argv[++i] : arg.slice('--out='.length);
      if (!value || value.startsWith('--')) throw new UsageError('--out needs a directory, e.g. --out tmp/bench');
      outDir = value;
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return { quick, help, outDir: outDir ?? (quick ? DEFAULT_OUT.quick : DEFAULT_OUT.full) };
}
