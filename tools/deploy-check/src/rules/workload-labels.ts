import type { Rule, RuleFinding } from '../rule';

/** Pods carry `app` and `version` labels (Istio's telemetry and the canary subsets use them). */
export const workloadLabels: Rule = {
  name: 'workload-labels',
  description: 'every pod template has app and version labels',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of [...set.workloads(), ...set.jobs()]) {
      for (const label of ['app', 'version']) {
        if (!workload.labels[label]) {
          findings.push({
            object: workload.object,
            path: ['spec', 'template', 'metadata', 'labels'],
            message: `pod template has no "${label}" label`,
          });
        }
      }
    }
    return findings;
  },
};
