import { FulfilmentVersions } from '@tandem/contracts';
import { asArray, getPath, isRecord, nameOf, namespaceOf } from '../model';
import { envValue, tandemApp, type Rule, type RuleFinding, type Workload } from '../rule';

/**
 * The fulfilment canary (docs/decisions/0018): `npm run canary` moves a share of
 * `orders.created` to fulfilment v2 together with the HTTP share of order v2, and each version
 * handles only its own share from its own durable. So every render that runs the fulfilment
 * worker runs one workload per version (v1 and v2), each a consumer of the version it says it
 * is: SERVICE_VERSION (which picks the durable) equal to its pod's `version` label (which the
 * mesh and the dashboards go by). A version that is missing, or that pulls the other's durable,
 * leaves its share of the orders waiting; one held at zero replicas with nothing to scale it up
 * does the same.
 */
export const fulfilmentVersions: Rule = {
  name: 'fulfilment-versions',
  description: 'the fulfilment worker runs v1 and v2, each with SERVICE_VERSION equal to its version label, and neither held at 0',
  check(set) {
    const findings: RuleFinding[] = [];
    const workers = (set.workloads() as Workload[]).flatMap((workload) =>
      workload.containers.filter(({ container }) => tandemApp(container['image']) === 'consumer').map((entry) => ({ workload, ...entry })),
    );
    if (workers.length === 0) return findings;
    const seen = new Set<string>();
    for (const { workload, container, path } of workers) {
      const label = workload.labels['version'];
      const env = envValue(container, 'SERVICE_VERSION') ?? 'v1';
      const index = asArray(container['env']).findIndex((e) => isRecord(e) && e['name'] === 'SERVICE_VERSION');
      const at = index >= 0 ? [...path, 'env', index] : [...path, 'env'];
      if (!(FulfilmentVersions as readonly string[]).includes(env)) {
        findings.push({
          object: workload.object,
          path: at,
          message: `SERVICE_VERSION is "${env}": the fulfilment worker runs as v1 or v2`,
        });
        continue;
      }
      if (label !== env) {
        findings.push({
          object: workload.object,
          path: at,
          message: `SERVICE_VERSION is "${env}" but the pods are labelled version "${label ?? ''}": this workload would pull ${env}'s durable and ${label ?? 'its own version'}'s share of the orders would wait`,
        });
        // (the version its label names is reported here, not again as missing)
        if (label) seen.add(label);
        continue;
      }
      seen.add(env);
      const scaled = [...set.ofKind('HorizontalPodAutoscaler'), ...set.ofKind('ScaledObject')].some(
        (scaler) =>
          getPath(scaler, ['spec', 'scaleTargetRef', 'name']) === nameOf(workload.object) &&
          namespaceOf(scaler) === namespaceOf(workload.object),
      );
      if (getPath(workload.object, ['spec', 'replicas']) === 0 && !scaled)
        findings.push({
          object: workload.object,
          path: ['spec', 'replicas'],
          message: `fulfilment ${env} is held at 0 replicas with no autoscaler to wake it: its share of the orders would wait`,
        });
    }
    for (const version of FulfilmentVersions)
      if (!seen.has(version)) {
        const { workload } = workers[0] as (typeof workers)[number];
        findings.push({
          object: workload.object,
          path: ['metadata', 'name'],
          message: `no fulfilment ${version} runs (a tandem/consumer workload with version label and SERVICE_VERSION "${version}"): the canary's share of orders.created for ${version} would wait`,
        });
      }
    return findings;
  },
};
