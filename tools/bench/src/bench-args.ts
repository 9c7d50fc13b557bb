import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { NODE_FLAGS } from '@tandem/testing';
import { APPS } from './bench-context';

/** What `npm run bench -- …` was asked to do. */
export interface BenchArgs {
  /** A few seconds per scenario and a small backlog: proves the bench works, measures nothing worth quoting. */
  readonly quick: boolean;
  /** Where README.md, chart.svg and results.json go (relative to the working directory). */
  readonly outDir: string;
  readonly help: boolean;
  /**
   * A/B mode: another build of the apps, laid out like `dist/apps` (relative to the working
   * directory, inside the workspace), measured interleaved with this build.
   */
  readonly baseline?: string;
  /** A/B mode: the Node flags of the baseline's apps (default: this build's, NODE_FLAGS). */
  readonly baselineNodeFlags?: readonly string[];
}

/** Full runs write the committed report; quick and A/B runs stay out of it unless `--out` says otherwise. */
export const DEFAULT_OUT = { full: 'docs/benchmarks', quick: 'tmp/bench-quick', ab: 'tmp/bench-ab' } as const;

export const USAGE = `Usage: npm run bench [-- --quick] [--out <dir>] [--baseline <dir> [--baseline-node-flags "<flags>"]]

Starts its own nats-server and the built apps on 127.0.0.1, then measures: the bare
ceiling, Tandem as separate processes (tracing off, sampling 0.1, sampling 1.0), Tandem
in one process, consumer throughput against a bare consume loop, start-up and memory.
Writes README.md (table and targets), chart.svg and results.json.

  --quick           a few seconds per scenario, backlog of 2 000 (a smoke test; numbers are not comparable)
  --out <dir>       output directory (default ${DEFAULT_OUT.full}; with --quick, ${DEFAULT_OUT.quick};
                    with --baseline, ${DEFAULT_OUT.ab})
  --baseline <dir>  A/B mode: compare another build of the apps with this one in one run.
                    <dir> is laid out like dist/apps (<dir>/gateway/main.js, order, consumer,
                    all-in-one) and must be inside the workspace (the bundles load their
                    dependencies from its node_modules). Two rounds, each: the bare consume
                    loop once (yardstick), then the baseline, then this build (separate
                    processes tracing off and at 0.1, one process, consumer drain). Writes
                    ab.md and ab.json (not the committed report) and prints the table.
  --baseline-node-flags "<flags>"
                    with --baseline: the Node flags the baseline's apps run with (default:
                    the same as this build's, ${NODE_FLAGS.join(' ')}); to measure a flag, give
                    the same directory as dist/apps' copy and the flags without it
  --help            this text

A/B, e.g. to show a speed-up against the previous commit:
  git stash                      # or check out the old commit
  npx nx run-many -t build -p gateway order consumer all-in-one
  cp -r dist/apps tmp/baseline-apps
  git stash pop                  # back to the new code
  npm run bench -- --baseline tmp/baseline-apps     # builds this code, then measures both`;

/** Thrown for arguments the bench does not understand; the message says which. */
export class UsageError extends Error {}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let quick = false;
  let help = false;
  let outDir: string | undefined;
  let baseline: string | undefined;
  let baselineNodeFlags: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--out' || arg.startsWith('--out=')) {
      const value = arg === '--out' ? argv[++i] : arg.slice('--out='.length);
      if (!value || value.startsWith('--')) throw new UsageError('--out needs a directory, e.g. --out tmp/bench');
      outDir = value;
    } else if (arg === '--baseline' || arg.startsWith('--baseline=')) {
      const value = arg === '--baseline' ? argv[++i] : arg.slice('--baseline='.length);
      if (!value || value.startsWith('--'))
        throw new UsageError('--baseline needs a directory laid out like dist/apps, e.g. --baseline tmp/baseline-apps');
      if (baseline !== undefined) throw new UsageError('--baseline given twice');
      baseline = value;
    } else if (arg === '--baseline-node-flags' || arg.startsWith('--baseline-node-flags=')) {
      const value = arg === '--baseline-node-flags' ? argv[++i] : arg.slice('--baseline-node-flags='.length);
      if (value === undefined)
        throw new UsageError('--baseline-node-flags needs a value, e.g. --baseline-node-flags="--enable-source-maps" (or "" for none)');
      const flags = value.split(/\s+/).filter((f) => f !== '');
      const odd = flags.find((f) => !f.startsWith('--'));
      if (odd !== undefined) throw new UsageError(`--baseline-node-flags: ${JSON.stringify(odd)} is not a Node flag (flags start with --)`);
      baselineNodeFlags = flags;
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  if (baselineNodeFlags !== undefined && baseline === undefined)
    throw new UsageError('--baseline-node-flags only applies with --baseline <dir>');
  const defaultOut = baseline !== undefined ? DEFAULT_OUT.ab : quick ? DEFAULT_OUT.quick : DEFAULT_OUT.full;
  return {
    quick,
    help,
    outDir: outDir ?? defaultOut,
    ...(baseline !== undefined ? { baseline } : {}),
    ...(baselineNodeFlags !== undefined ? { baselineNodeFlags } : {}),
  };
}

/** The file system calls {@link resolveBaselineDir} makes (replaceable in tests). */
export interface BaselineFs {
  exists(path: string): boolean;
  /** The path with symbolic links resolved (Node resolves a script's `require`s from there). */
  realpath(path: string): string;
}

const realFs: BaselineFs = { exists: existsSync, realpath: (path) => realpathSync(path) };

/**
 * The absolute baseline directory for `--baseline <dir>` (relative to `cwd`), or a
 * {@link UsageError} naming the problem: missing, outside the workspace (its bundles would not
 * find the workspace's node_modules), or without one of the four bundles.
 */
export function resolveBaselineDir(root: string, cwd: string, dir: string, fs: BaselineFs = realFs): string {
  const given = resolve(cwd, dir);
  if (!fs.exists(given)) throw new UsageError(`--baseline ${dir}: ${given} does not exist`);
  const real = fs.realpath(given);
  const realRoot = fs.realpath(root);
  const inside = relative(realRoot, real);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
    throw new UsageError(
      `--baseline ${dir}: ${real} is ${inside === '' ? 'the workspace root itself' : 'outside the workspace'} (${realRoot}); ` +
        "copy the baseline build inside it (e.g. tmp/baseline-apps) so its bundles' require()s resolve from the workspace's node_modules",
    );
  const missing = APPS.map((app) => join(app, 'main.js')).filter((bundle) => !fs.exists(join(given, bundle)));
  if (missing.length > 0)
    throw new UsageError(
      `--baseline ${dir}: missing ${missing.join(', ')} (the directory must be laid out like dist/apps: <dir>/<app>/main.js for ${APPS.join(', ')})`,
    );
  return given;
}
