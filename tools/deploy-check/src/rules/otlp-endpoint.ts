import { asArray, getPath, isRecord, namespaceOf } from '../model';
import { resolveEnvValue, tandemApp, type Rule, type RuleFinding, type Workload } from '../rule';

const VARIABLE = 'OTEL_EXPORTER_OTLP_ENDPOINT';
const EXCLUDE = 'traffic.sidecar.istio.io/excludeOutboundPorts';

/**
 * Where the services send their spans: every Tandem service has an OTLP
 * endpoint in every render (literal or from a ConfigMap the render ships); one inside a
 * namespace the render ships names a Service that exists there; and when that namespace has
 * no sidecars (a collector outside the mesh) while the service has one, the port is excluded
 * from the sidecar (traffic.sidecar.istio.io/excludeOutboundPorts), or every span export
 * becomes a mesh trace of its own. A collector in a namespace the render does not ship is the
 * platform's: not checked (the production overlay's placeholder).
 */
export const otlpEndpoint: Rule = {
  name: 'otlp-endpoint',
  description: `every Tandem service has an ${VARIABLE} that resolves in the render, and its port bypasses the sidecar`,
  check(set) {
    const findings: RuleFinding[] = [];
    const namespaces = new Map(set.ofKind('Namespace').map((ns) => [String(getPath(ns, ['metadata', 'name'])), ns]));
    const injected = (ns: string) => getPath(namespaces.get(ns), ['metadata', 'labels', 'istio-injection']) === 'enabled';
    for (const workload of set.workloads() as Workload[]) {
      const namespace = namespaceOf(workload.object);
      for (const { container, path } of workload.containers) {
        const app = tandemApp(container['image']);
        if (!app || app === 'topology') continue;
        const env = asArray(container['env']);
        const index = env.findIndex((e) => isRecord(e) && e['name'] === VARIABLE);
        const entry = env[index];
        if (!isRecord(entry)) {
          findings.push({ object: workload.object, path: [...path, 'env'], message: `${app} has no ${VARIABLE}: its spans go nowhere` });
          continue;
        }
        const resolved = resolveEnvValue(set, namespace, entry);
        if (resolved.value === undefined) {
          findings.push({ object: workload.object, path: [...path, 'env', index], message: `${VARIABLE} ${resolved.problem}` });
          continue;
        }
        let url: URL;
        try {
          url = new URL(resolved.value);
        } catch {
          findings.push({
            object: resolved.at ?? workload.object,
            path: resolved.at ? ['data'] : [...path, 'env', index],
            message: `${VARIABLE} "${resolved.value}" is not a URL`,
          });
          continue;
        }
        const [name, serviceNamespace = namespace] = url.hostname.split('.');
        if (namespaces.has(serviceNamespace) && !set.serviceForHost(url.hostname, namespace)) {
          findings.push({
            object: resolved.at ?? workload.object,
            path: resolved.at ? ['data'] : [...path, 'env', index],
            message: `${VARIABLE} ${resolved.value} names Service ${serviceNamespace}/${name}, which this render does not have`,
          });
        }
        const port = url.port || (url.protocol === 'https:' ? '443' : '80');
        const excluded = String(workload.annotations[EXCLUDE] ?? '')
          .split(',')
          .map((p) => p.trim());
        const outsideMesh = namespaces.has(serviceNamespace) && !injected(serviceNamespace);
        if (outsideMesh && injected(namespace) && workload.labels['sidecar.istio.io/inject'] !== 'false' && !excluded.includes(port)) {
          findings.push({
            object: workload.object,
            path: ['spec', 'template', 'metadata', 'annotations'],
            message: `${app} exports spans to port ${port} of a collector outside the mesh through its sidecar (${EXCLUDE} does not list it): each export becomes a mesh trace of its own`,
          });
        }
      }
    }
    return findings;
  },
};
