import { formatChange, formatStatus, targetWeights } from './canary-weights';

describe('canary weights', () => {
  it('gives v2 the set percentage and v1 the rest', () => {
    expect(targetWeights({ kind: 'set', v2: 30 })).toEqual({ v1: 70, v2: 30 });
    expect(targetWeights({ kind: 'set', v2: 0 })).toEqual({ v1: 100, v2: 0 });
  });
  it('promote sends everything to v2, abort everything to v1', () => {
    expect(targetWeights({ kind: 'promote' })).toEqual({ v1: 0, v2: 100 });
    expect(targetWeights({ kind: 'abort' })).toEqual({ v1: 100, v2: 0 });
  });
  it('prints the status with v1 first', () => {
    expect(formatStatus('order', { v2: 10, v1: 90 }, 'vs.yaml')).toBe('order: v1 90%, v2 10%  (vs.yaml)');
  });
  it('prints a change as one Flagger-style line', () => {
    expect(formatChange('order', { v1: 90, v2: 10 }, { v1: 70, v2: 30 }, 'vs.yaml')).toBe(
      'order: canary weight v1 90% → 70%, v2 10% → 30%  (vs.yaml)',
    );
  });
  it('says so when nothing changes', () => {
    expect(formatChange('order', { v1: 90, v2: 10 }, { v1: 90, v2: 10 }, 'vs.yaml')).toBe(
      'order: canary weight unchanged, v1 90%, v2 10%  (vs.yaml)',
    );
  });
});
