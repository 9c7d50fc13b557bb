import { parseBenchArgs, UsageError } from './bench-args';

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
