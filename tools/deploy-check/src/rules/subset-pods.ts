import { asArray, getPath, isRecord, namespaceOf } from '../model';
import { stringMap, type Rule, type RuleFinding } from '../rule';

/** A DestinationRule subset selects pods that some workload creates (behind the host's Service). */
export const subsetPods: Rule = {
  name: 'subset-pods',
  description: "every subset's labels, with its Service's selector, select the pods of at least one Deployment",
  check(set) {
    const findings: RuleFinding[] = [];
    for (const rule of set.ofKind('DestinationRule')) {
      const host = getPath(rule, ['spec', 'host']);
      if (typeof host !== 'string') continue;
      const service = set.serviceForHost(host, namespaceOf(rule));
      if (!service) continue; // host-services reports it
      const selector = stringMap(getPath(service, ['spec', 'selector']));
      asArray(getPath(rule, ['spec', 'subsets'])).forEach((subset, index) => {
        if (!isRecord(subset)) return;
        const labels = stringMap(subset['labels']);
        const matches = set.workloadsSelectedBy(namespaceOf(service), { ...selector, ...labels });
        if (matches.length === 0) {
          const wanted = Object.entries({ ...selector, ...labels })
            .map(([key, value]) => `${key}=${value}`)
            .join(',');
          findings.push({
            object: rule,
            path: ['spec', 'subsets', index, 'labels'],
            message: `subset "${String(subset['name'])}" selects no pods: no workload in ${namespaceOf(service)} has labels ${wanted}`,
          });
        }
      });
    }
    return findings;
  },
};
