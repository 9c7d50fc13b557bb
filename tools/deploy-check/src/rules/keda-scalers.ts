import { fulfilmentConsumerOf, FulfilmentVersions, TandemTopology, Topology, type FulfilmentVersion } from '@tandem/contracts';
import { asArray, getPath, isRecord, kindOf, nameOf, namespaceOf, type KubeObject } from '../model';
import { envValue, serviceUrlProblem, tandemApp, type RenderedSet, type Rule, type RuleFinding } from '../rule';

/** The workload an autoscaler scales: `<Kind>/<namespace>/<name>` (a ScaledObject's kind defaults to Deployment). */
function targetOf(scaler: KubeObject): string {
  const kind = getPath(scaler, ['spec', 'scaleTargetRef', 'kind']) ?? 'Deployment';
  return `${String(kind)}/${namespaceOf(scaler)}/${String(getPath(scaler, ['spec', 'scaleTargetRef', 'name']))}`;
}

/** The fulfilment version a workload runs, when it runs Tandem's fulfilment worker. */
function fulfilmentVersionOf(set: RenderedSet, target: string): FulfilmentVersion | undefined {
  const workload = set.workloads().find((w) => `${kindOf(w.object)}/${namespaceOf(w.object)}/${nameOf(w.object)}` === target);
  const worker = workload?.containers.find(({ container }) => tandemApp(container['image']) === 'consumer');
  if (!worker) return undefined;
  const version = envValue(worker.container, 'SERVICE_VERSION') ?? 'v1';
  // A workload whose version label says otherwise is fulfilment-versions' finding, not this one's.
  if (workload?.labels['version'] !== version) return undefined;
  return (FulfilmentVersions as readonly string[]).includes(version) ? (version as FulfilmentVersion) : undefined;
}

/** The NATS server config of the render (the ConfigMap text with a `jetstream` block), if any. */
function natsConfig(set: RenderedSet): string | undefined {
  for (const config of set.ofKind('ConfigMap'))
    for (const text of Object.values(isRecord(config['data']) ? config['data'] : {}))
      if (typeof text === 'string' && /^\s*jetstream\s*[:=]?\s*\{/m.test(text)) return text;
  return undefined;
}

/** The names of the direct children of the config's `accounts { … }` block. */
export function natsAccountNames(config: string): Set<string> {
  const names = new Set<string>();
  const start = /^\s*accounts\s*[:=]?\s*\{/m.exec(config);
  if (!start) return names;
  let depth = 1;
  let last: string | undefined;
  for (const [token] of config.slice(start.index + start[0].length).matchAll(/#[^\n]*|[{}[\]]|[A-Za-z0-9_$-]+|[:=]|\S/g)) {
    if (token.startsWith('#') || token === ':' || token === '=') continue;
    if (token === '{' || token === '[') {
      if (token === '{' && depth === 1 && last !== undefined) names.add(last);
      depth += 1;
    } else if (token === '}' || token === ']') {
      depth -= 1;
      if (depth === 0) break;
    }
    last = /^[A-Za-z0-9_$-]+$/.test(token) ? token : undefined;
  }
  return names;
}

/** The port NATS serves its monitoring endpoint on (`http: 0.0.0.0:8222`, `http_port: 8222`), if the config says. */
function natsMonitorPort(config: string): number | undefined {
  const match = /^\s*(?:http|http_port)\s*[:=]\s*["']?(?:[^\s:"']*:)?(\d+)/m.exec(config);
  return match ? Number(match[1]) : undefined;
}

/**
 * Why KEDA's scaler cannot read the NATS servers at `endpoint` (host:port), or undefined: it
 * must be a Service port of the render; on a cluster of servers KEDA asks each as
 * `<pod>.<host>`, which resolves only for the StatefulSet's headless Service; and the port
 * must lead to NATS's monitoring port.
 */
function monitoringEndpointProblem(
  set: RenderedSet,
  endpoint: string,
  namespace: string,
  https: boolean,
  monitorPort: number | undefined,
): string | undefined {
  const problem = serviceUrlProblem(set, `${https ? 'https' : 'http'}://${endpoint}`, namespace);
  if (problem) return problem;
  const [host = '', portText = ''] = endpoint.split(':');
  const service = set.serviceForHost(host, namespace) as KubeObject;
  const statefulSet = set
    .ofKind('StatefulSet')
    .find((s) => namespaceOf(s) === namespaceOf(service) && getPath(s, ['spec', 'serviceName']) === nameOf(service));
  const replicas = Number(getPath(statefulSet, ['spec', 'replicas']) ?? 1);
  if (!statefulSet || (replicas > 1 && getPath(service, ['spec', 'clusterIP']) !== 'None'))
    return `Service ${nameOf(service)} is not the NATS StatefulSet's headless Service: KEDA asks each server as <pod>.${host}`;
  const port = asArray(getPath(service, ['spec', 'ports'])).find((p) => isRecord(p) && Number(p['port']) === Number(portText));
  const target = isRecord(port) ? (port['targetPort'] ?? port['port']) : undefined;
  const containerPorts = asArray(getPath(statefulSet, ['spec', 'template', 'spec', 'containers'])).flatMap((c) =>
    isRecord(c) ? asArray(c['ports']).filter(isRecord) : [],
  );
  const containerPort = containerPorts.find((p) => p['name'] === target || Number(p['containerPort']) === Number(target));
  if (monitorPort !== undefined && Number(containerPort?.['containerPort']) !== monitorPort)
    return `port ${portText} leads to ${containerPort ? `container port ${String(containerPort['containerPort'])}` : 'no container port'}, not NATS's monitoring port (${monitorPort})`;
  return undefined;
}

/**
 * Scaling on the backlog (KEDA): no workload has two autoscalers (a HorizontalPodAutoscaler
 * and a ScaledObject, or two ScaledObjects, fight over its replicas); a NATS JetStream trigger
 * polls the NATS StatefulSet's headless Service at NATS's monitoring port, names an account
 * the NATS config declares and a stream and durable consumer of Tandem's topology
 * (libs/contracts) — for the fulfilment worker, one it pulls (its version's: ADR 0018; or
 * `dead-letters`). A wrong name there
 * does not fail: the scaler finds no backlog, and the workload never wakes from zero.
 */
export const kedaScalers: Rule = {
  name: 'keda-scalers',
  description:
    'one autoscaler per workload; a nats-jetstream trigger polls the NATS StatefulSet’s headless Service at its monitoring port, for an account of the NATS config and a stream and durable of the topology (the fulfilment worker: one it pulls)',
  check(set) {
    const findings: RuleFinding[] = [];
    const scaledObjects = set.ofKind('ScaledObject');
    const byTarget = new Map<string, KubeObject[]>();
    for (const scaler of [...set.ofKind('HorizontalPodAutoscaler'), ...scaledObjects]) {
      // KEDA's own HPAs are not in a render; an HPA here is someone else's.
      byTarget.set(targetOf(scaler), [...(byTarget.get(targetOf(scaler)) ?? []), scaler]);
    }
    for (const [target, scalers] of byTarget) {
      if (scalers.length < 2) continue;
      const [, ...rest] = scalers;
      for (const scaler of rest)
        findings.push({
          object: scaler,
          path: ['spec', 'scaleTargetRef'],
          message: `${target.split('/').slice(-1)[0]} is scaled by ${scalers.map((s) => `${kindOf(s)} ${nameOf(s)}`).join(' and ')}: two autoscalers fight over its replicas (keep one)`,
        });
    }

    const config = natsConfig(set);
    const accounts = config === undefined ? undefined : natsAccountNames(config);
    const monitorPort = config === undefined ? undefined : natsMonitorPort(config);
    const streams = new Set<string>(TandemTopology.streams.map((s) => s.name));
    for (const scaler of scaledObjects) {
      asArray(getPath(scaler, ['spec', 'triggers'])).forEach((trigger, index) => {
        if (!isRecord(trigger) || trigger['type'] !== 'nats-jetstream') return;
        const metadata = isRecord(trigger['metadata']) ? trigger['metadata'] : {};
        const at = (field: string) => ({ object: scaler, path: ['spec', 'triggers', index, 'metadata', field] });
        const endpoint = String(metadata['natsServerMonitoringEndpoint']);
        const endpointProblem = monitoringEndpointProblem(set, endpoint, namespaceOf(scaler), metadata['useHttps'] === 'true', monitorPort);
        if (endpointProblem)
          findings.push({ ...at('natsServerMonitoringEndpoint'), message: `monitoring endpoint ${endpoint}: ${endpointProblem}` });
        const account = metadata['account'] ?? metadata['accountID'];
        if (accounts && !accounts.has(String(account)))
          findings.push({
            ...at('account'),
            message: `account "${String(account)}" is not an account of the NATS config (${[...accounts].join(', ')}): the scaler finds no backlog`,
          });
        const stream = String(metadata['stream']);
        if (!streams.has(stream)) {
          findings.push({ ...at('stream'), message: `stream "${stream}" is not a stream of the topology (${[...streams].join(', ')})` });
          return;
        }
        const consumer = String(metadata['consumer']);
        const version = fulfilmentVersionOf(set, targetOf(scaler));
        // The fulfilment worker pulls its version's durable and the dead-letters step's.
        const pulls = version ? [fulfilmentConsumerOf(version), Topology.deadLettersConsumer] : undefined;
        if (pulls && !pulls.some((c) => c.stream === stream && c.durable === consumer))
          findings.push({
            ...at('consumer'),
            message: `consumer "${consumer}" on ${stream} is not a durable the fulfilment ${version} this scales pulls (${pulls.map((c) => `${c.stream}/${c.durable}`).join(', ')}): it would wake on another's backlog`,
          });
        else if (!TandemTopology.consumers.some((c) => c.stream === stream && c.durable === consumer))
          findings.push({ ...at('consumer'), message: `consumer "${consumer}" is not a durable of stream ${stream} in the topology` });
      });
    }
    return findings;
  },
};
