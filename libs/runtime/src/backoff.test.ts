import { backoffBase, backoffDelay, DEFAULT_BACKOFF } from './backoff';

describe('backoff schedule (SPEC §4/§5: 1 s, 2 s, then ×1.5 up to 30 s)', () => {
  it('follows 1 s, 2 s, 3 s, 4.5 s, 6.75 s … and stays at 30 s', () => {
    const schedule = Array.from({ length: 12 }, (_, i) => backoffBase(i));
    expect(schedule.slice(0, 5)).toEqual([1000, 2000, 3000, 4500, 6750]);
    expect(Math.max(...schedule)).toBe(30_000);
    expect(schedule.slice(-3)).toEqual([30_000, 30_000, 30_000]);
    for (let i = 1; i < schedule.length; i++) expect(schedule[i]).toBeGreaterThanOrEqual(schedule[i - 1] as number);
  });

  it('jitters downwards by at most the policy fraction', () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0)).toBe(2000);
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 1)).toBe(1600);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, DEFAULT_BACKOFF);
      expect(d).toBeGreaterThanOrEqual(4500 * 0.8);
      expect(d).toBeLessThanOrEqual(4500);
    }
  });
});
