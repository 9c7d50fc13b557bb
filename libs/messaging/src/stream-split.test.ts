import { splitBucket, splitOwner } from './stream-split';

describe('splitBucket / splitOwner', () => {
  it('is FNV-1a (32 bit) modulo 100, fixed for ever: every version, the CLI and the tests agree', () => {
    // FNV-1a 32 of "" is 0x811c9dc5 (2166136261), of "a" 0xe40c292c (3826002220): the published vectors.
    expect(splitBucket('')).toBe(2166136261 % 100);
    expect(splitBucket('a')).toBe(3826002220 % 100);
    expect(splitBucket('orders.created.0b5f8f2e-6c1d-4b7a-9a43-2f1de3c1a9b0')).toBe(
      splitBucket('orders.created.0b5f8f2e-6c1d-4b7a-9a43-2f1de3c1a9b0'),
    );
  });

  it('spreads order subjects evenly enough over the 100 buckets', () => {
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const bucket = splitBucket(`orders.created.${crypto.randomUUID()}`);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    // 100 per bucket on average; a bucket outside 40..180 would skew a 1% step badly.
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(Math.max(...counts)).toBeLessThan(180);
  });

  it('gives v2 the buckets below its share: 0 sends nothing, 100 everything, and raising it only moves keys to v2', () => {
    const keys = Array.from({ length: 2_000 }, () => `orders.created.${crypto.randomUUID()}`);
    expect(keys.every((k) => splitOwner(k, { v1: 100, v2: 0 }) === 'v1')).toBe(true);
    expect(keys.every((k) => splitOwner(k, { v1: 0, v2: 100 }) === 'v2')).toBe(true);
    const at30 = keys.filter((k) => splitOwner(k, { v1: 70, v2: 30 }) === 'v2');
    expect(at30.length / keys.length).toBeGreaterThan(0.25);
    expect(at30.length / keys.length).toBeLessThan(0.35);
    expect(at30.every((k) => splitOwner(k, { v1: 50, v2: 50 }) === 'v2')).toBe(true);
  });
});
