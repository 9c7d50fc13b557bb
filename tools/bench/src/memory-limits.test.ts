import { workspaceRoot } from '@tandem/testing';
import { deployMemoryLimitMiB, LIMIT_OF, quantityMiB } from './memory-limits';

describe('memory limits from deploy/', () => {
  it('reads Kubernetes memory quantities', () => {
    expect(quantityMiB('256Mi')).toBe(256);
    expect(quantityMiB('1Gi')).toBe(1024);
    expect(quantityMiB('512Ki')).toBe(0.5);
    expect(quantityMiB(String(2 ** 20))).toBe(1);
    expect(() => quantityMiB('lots')).toThrow(/not a Kubernetes memory quantity: lots/);
  });

  it("takes each service's container limit from deploy/k8s/base, and gives each yardstick its service's", () => {
    const root = workspaceRoot(__dirname);
    for (const app of ['gateway', 'order', 'consumer'] as const) expect(deployMemoryLimitMiB(root, app)).toBeGreaterThan(0);
    expect(new Set(Object.values(LIMIT_OF))).toEqual(new Set(['gateway', 'order', 'consumer']));
    expect(LIMIT_OF['ceiling-gateway']).toBe('gateway');
    expect(LIMIT_OF['bare-consumer']).toBe('consumer');
  });
});
