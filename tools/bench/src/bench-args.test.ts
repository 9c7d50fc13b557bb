import { parseBenchArgs, resolveBaselineDir, UsageError, type BaselineFs } from './bench-args';

describe('bench arguments', () => {
  it('a full run writes the committed report by default', () => {
    expect(parseBenchArgs([])).toEqual({ quick: false, help: false, outDir: 'docs/benchmarks' });
  });

  it('a quick run does not overwrite the committed report unless --out says so', () => {
    expect(parseBenchArgs(['--quick']).outDir).toBe('tmp/bench-quick');
    expect(parseBenchArgs(['--quick', '--out', 'docs/benchmarks']).outDir).toBe('docs/benchmarks');
    expect(parseBenchArgs(['--out=/tmp/x', '--quick'])).toEqual({ quick: true, help: false, outDir: '/tmp/x' });
  });

  it.each([[['--fast']], [['--out']], [['--out', '--quick']], [['quick']]])('refuses %j with a message', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
  });
});

describe('--baseline (A/B mode)', () => {
  it('takes a directory and writes to tmp/bench-ab by default, not the committed report', () => {
    expect(parseBenchArgs(['--baseline', 'tmp/baseline-apps'])).toEqual({
      quick: false,
      help: false,
      outDir: 'tmp/bench-ab',
      baseline: 'tmp/baseline-apps',
    });
    expect(parseBenchArgs(['--quick', '--baseline=tmp/b']).outDir).toBe('tmp/bench-ab');
    expect(parseBenchArgs(['--baseline', 'tmp/b', '--out', 'tmp/x']).outDir).toBe('tmp/x');
  });

  it("takes the baseline apps' Node flags, only with --baseline", () => {
    expect(parseBenchArgs(['--baseline', 'tmp/b', '--baseline-node-flags', '--enable-source-maps']).baselineNodeFlags).toEqual([
      '--enable-source-maps',
    ]);
    expect(parseBenchArgs(['--baseline=tmp/b', '--baseline-node-flags=--a  --b=1']).baselineNodeFlags).toEqual(['--a', '--b=1']);
    expect(parseBenchArgs(['--baseline=tmp/b', '--baseline-node-flags=']).baselineNodeFlags).toEqual([]);
    expect(parseBenchArgs(['--baseline=tmp/b'])).not.toHaveProperty('baselineNodeFlags');
    expect(() => parseBenchArgs(['--baseline-node-flags=--a'])).toThrow('only applies with --baseline');
    expect(() => parseBenchArgs(['--baseline=tmp/b', '--baseline-node-flags=max-semi-space-size=8'])).toThrow('is not a Node flag');
    expect(() => parseBenchArgs(['--baseline=tmp/b', '--baseline-node-flags'])).toThrow(UsageError);
  });

  it('is absent without --baseline', () => {
    expect(parseBenchArgs(['--quick'])).not.toHaveProperty('baseline');
  });

  it.each([[['--baseline']], [['--baseline', '--quick']], [['--baseline=']], [['--baseline', 'a', '--baseline', 'b']]])(
    'refuses %j with a message',
    (argv) => {
      expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    },
  );
});

describe('the baseline directory', () => {
  const root = '/ws';
  const bundles = ['gateway', 'order', 'consumer', 'all-in-one'].map((app) => `/ws/tmp/base/${app}/main.js`);
  const fs = (files: readonly string[], links: Record<string, string> = {}): BaselineFs => ({
    exists: (path) => files.some((f) => f === path || f.startsWith(`${path}/`)),
    realpath: (path) => links[path] ?? path,
  });

  it('resolves relative to the working directory when it is inside the workspace and holds the four bundles', () => {
    expect(resolveBaselineDir(root, '/ws', 'tmp/base', fs(bundles))).toBe('/ws/tmp/base');
    expect(resolveBaselineDir(root, '/ws/tmp', 'base/', fs(bundles))).toBe('/ws/tmp/base');
  });

  it('refuses a directory that does not exist', () => {
    expect(() => resolveBaselineDir(root, '/ws', 'tmp/nope', fs(bundles))).toThrow(/does not exist/);
  });

  it('refuses a directory outside the workspace, also through a symbolic link, or the root itself', () => {
    const outside = ['gateway', 'order', 'consumer', 'all-in-one'].map((app) => `/elsewhere/${app}/main.js`);
    expect(() => resolveBaselineDir(root, '/ws', '/elsewhere', fs(outside))).toThrow(/outside the workspace/);
    expect(() => resolveBaselineDir(root, '/ws', '../wsx', fs(['/wsx/gateway/main.js']))).toThrow(/outside the workspace/);
    expect(() => resolveBaselineDir(root, '/ws', 'tmp/base', fs(bundles, { '/ws/tmp/base': '/elsewhere' }))).toThrow(
      /outside the workspace/,
    );
    expect(() => resolveBaselineDir(root, '/ws', '.', fs(bundles))).toThrow(/workspace root itself/);
  });

  it('names the bundles that are missing', () => {
    const partial = bundles.filter((b) => !b.includes('/order/') && !b.includes('/all-in-one/'));
    expect(() => resolveBaselineDir(root, '/ws', 'tmp/base', fs(partial))).toThrow(/missing order\/main\.js, all-in-one\/main\.js/);
  });

  it('throws usage errors (exit 2), not crashes', () => {
    expect(() => resolveBaselineDir(root, '/ws', '/elsewhere', fs([]))).toThrow(UsageError);
  });
});
