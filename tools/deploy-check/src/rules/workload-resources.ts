import { getPath } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** Every container states CPU and memory requests and limits. */
export const workloadResources: Rule = {
  name: 'workload-resources',
  description: 'every container has CPU and memory requests and limits',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of [...set.workloads(), ...set.jobs()]) {
      for (const { container, path } of workload.containers) {
        for (const kind of ['requests', 'limits'] as const) {
          const missing = ['cpu', 'memory'].filter((resource) => getPath(container, ['resources', kind, resource]) === undefined);
          if (missing.length > 0) {
            findings.push({
              object: workload.object,
              path: [...path, 'resources', kind],
              message: `container "${String(container['name'])}" sets no ${kind} for ${missing.join(' and ')}`,
            });
          }
        }
      }
    }
    return findings;
  },
};
