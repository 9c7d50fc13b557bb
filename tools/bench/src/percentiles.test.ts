import { summarize } from './percentiles';

describe('latency percentiles (nearest rank)', () => {
  it('takes the sample at ceil(p·n)', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted on purpose
    expect(summarize(samples)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('keeps sub-millisecond resolution', () => {
    expect(summarize([0.25, 0.5, 0.75, 1.25]).p50).toBe(0.5);
  });

  it('gives zeros, not NaN, without samples', () => {
    expect(summarize([])).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});
