import { asArray, getPath } from '../model';
import { labelSelectorSelects, type Rule, type RuleFinding } from '../rule';

const HOSTNAME = 'kubernetes.io/hostname';

/**
 * NATS servers on separate nodes: a StatefulSet running more than one
 * nats-server keeps its pods apart by node — a required pod anti-affinity on
 * `kubernetes.io/hostname` selecting its own pods, or a topology spread with maxSkew 1 that
 * does not schedule otherwise. Without it two of three servers can share a node, and that
 * node's loss takes the majority every replicated stream needs.
 */
export const natsSpread: Rule = {
  name: 'nats-spread',
  description: 'a NATS StatefulSet with more than one server keeps them on separate nodes (required anti-affinity or a strict spread)',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of set.workloads()) {
      const runsNats = workload.containers.some(({ container }) => /(^|\/)nats(:|@|$)/.test(String(container['image'] ?? '')));
      const replicas = getPath(workload.object, ['spec', 'replicas']);
      if (!runsNats || typeof replicas !== 'number' || replicas < 2) continue;
      const ownPods = (selector: unknown) => labelSelectorSelects(selector, workload.labels);
      const antiAffinity = asArray(
        getPath(workload.podSpec, ['affinity', 'podAntiAffinity', 'requiredDuringSchedulingIgnoredDuringExecution']),
      ).some((term) => getPath(term, ['topologyKey']) === HOSTNAME && ownPods(getPath(term, ['labelSelector'])));
      const spread = asArray(workload.podSpec['topologySpreadConstraints']).some(
        (c) =>
          getPath(c, ['topologyKey']) === HOSTNAME &&
          getPath(c, ['maxSkew']) === 1 &&
          getPath(c, ['whenUnsatisfiable']) === 'DoNotSchedule' &&
          ownPods(getPath(c, ['labelSelector'])),
      );
      if (!antiAffinity && !spread) {
        findings.push({
          object: workload.object,
          path: [...workload.podSpecPath, 'affinity'],
          message: `${replicas} NATS servers without a required anti-affinity (or strict spread) on ${HOSTNAME}: two can share a node, and losing it loses the majority of a replicated stream`,
        });
      }
    }
    return findings;
  },
};
