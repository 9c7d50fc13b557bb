import { asArray, getPath, isRecord, namespaceOf } from '../model';
import { stringMap, type Rule, type RuleFinding } from '../rule';

/** Istio's protocol prefixes (docs: "Protocol Selection"). */
const PROTOCOLS = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'tcp', 'tls', 'mongo', 'mysql', 'redis', 'udp'];
const NAMED_BY_PROTOCOL = new RegExp(`^(${PROTOCOLS.join('|')})(-.*)?$`);

/** Service ports are named by protocol (or set appProtocol) and target a port the selected pods declare. */
export const servicePorts: Rule = {
  name: 'service-ports',
  description: 'Service ports are named by protocol (http-…, tcp-…) and target a container port that exists',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const service of set.ofKind('Service')) {
      const selector = stringMap(getPath(service, ['spec', 'selector']));
      const workloads = Object.keys(selector).length > 0 ? set.workloadsSelectedBy(namespaceOf(service), selector) : undefined;
      if (workloads && workloads.length === 0) {
        findings.push({
          object: service,
          path: ['spec', 'selector'],
          message: `selects no pods: no workload in ${namespaceOf(service)} has labels ${Object.entries(selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`,
        });
      }
      const containerPorts = (workloads ?? []).flatMap((workload) =>
        workload.containers.flatMap(({ container }) => asArray(container['ports']).filter(isRecord)),
      );
      asArray(getPath(service, ['spec', 'ports'])).forEach((port, index) => {
        if (!isRecord(port)) return;
        const name = port['name'];
        if (typeof port['appProtocol'] !== 'string' && (typeof name !== 'string' || !NAMED_BY_PROTOCOL.test(name))) {
          findings.push({
            object: service,
            path: ['spec', 'ports', index, 'name'],
            message: `port ${String(port['port'])} is named ${name === undefined ? '(no name)' : `"${String(name)}"`}: Istio picks the protocol from a name of the form <protocol>[-suffix] (${PROTOCOLS.join(', ')}) or from appProtocol`,
          });
        }
        if (!workloads || workloads.length === 0) return;
        const target = port['targetPort'] ?? port['port'];
        const found = containerPorts.some((cp) => (typeof target === 'string' ? cp['name'] === target : cp['containerPort'] === target));
        if (!found) {
          findings.push({
            object: service,
            path: ['spec', 'ports', index, 'targetPort'],
            message: `targetPort ${JSON.stringify(target)} is not a container port of the selected pods`,
          });
        }
      });
    }
    return findings;
  },
};
