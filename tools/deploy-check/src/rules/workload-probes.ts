import { asArray, getPath, isRecord } from '../model';
import { tandemApp, type Rule, type RuleFinding } from '../rule';

/** The path each probe must use on Tandem's own images (SPEC §3). */
const TANDEM_PROBE_PATHS = { readinessProbe: '/readyz', livenessProbe: '/livez', startupProbe: '/livez' } as const;

/** Every container has readiness and liveness probes, on a port it declares and, for Tandem's apps, on /readyz and /livez. */
export const workloadProbes: Rule = {
  name: 'workload-probes',
  description: 'every container has readiness and liveness probes on a declared port; Tandem apps probe /readyz and /livez',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of set.workloads()) {
      for (const { container, path } of workload.containers) {
        const app = tandemApp(container['image']);
        const ports = asArray(container['ports']).filter(isRecord);
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
          const spec = container[probe];
          if (spec === undefined) {
            if (probe !== 'startupProbe')
              findings.push({
                object: workload.object,
                path: [...path, probe],
                message: `container "${String(container['name'])}" has no ${probe}`,
              });
            continue;
          }
          const httpGet = getPath(spec, ['httpGet']);
          if (!isRecord(httpGet)) continue;
          const port = httpGet['port'];
          if (!ports.some((p) => (typeof port === 'string' ? p['name'] === port : p['containerPort'] === port))) {
            findings.push({
              object: workload.object,
              path: [...path, probe, 'httpGet', 'port'],
              message: `${probe} uses port ${JSON.stringify(port)}, which the container does not declare`,
            });
          }
          const wanted = app ? TANDEM_PROBE_PATHS[probe] : undefined;
          const actual = typeof httpGet['path'] === 'string' ? httpGet['path'].split('?')[0] : undefined;
          if (wanted && actual !== wanted) {
            findings.push({
              object: workload.object,
              path: [...path, probe, 'httpGet', 'path'],
              message: `${probe} of ${app} must use ${wanted} (the app serves /livez, /readyz, /metrics), not ${String(httpGet['path'])}`,
            });
          }
        }
      }
    }
    return findings;
  },
};
