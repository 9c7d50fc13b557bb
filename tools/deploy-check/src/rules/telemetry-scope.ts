import { asArray, getPath, isRecord, namespaceOf } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** Istio's root namespace: a Telemetry there without a selector applies to the whole mesh. */
const ROOT_NAMESPACE = 'istio-system';

/**
 * Tracing configuration that works on a shared mesh: no Telemetry applies
 * mesh-wide. One in the root namespace (taken to be istio-system, Istio's default) must select
 * workloads (`selector` or `targetRefs`); anything else is namespace-scoped by where it lives.
 */
export const telemetryScope: Rule = {
  name: 'telemetry-scope',
  description: `no Telemetry in ${ROOT_NAMESPACE} without a selector (it would change tracing for every workload of a shared mesh)`,
  check(set) {
    const findings: RuleFinding[] = [];
    for (const telemetry of set.ofKind('Telemetry')) {
      if (namespaceOf(telemetry) !== ROOT_NAMESPACE) continue;
      const labels = getPath(telemetry, ['spec', 'selector', 'matchLabels']);
      if (isRecord(labels) && Object.keys(labels).length > 0) continue;
      if (asArray(getPath(telemetry, ['spec', 'targetRefs'])).length > 0) continue;
      findings.push({
        object: telemetry,
        path: ['spec'],
        message: `applies to the whole mesh (${ROOT_NAMESPACE}, no selector): on a shared mesh it changes every workload's tracing; put it in the tandem namespace or select workloads`,
      });
    }
    return findings;
  },
};
