import { fulfilmentConsumerOf, FulfilmentVersions, TandemTopology, type FulfilmentVersion } from '@tandem/contracts';
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

/** The account names the NATS server config of the render declares (`accounts { NAME { … } }`). */
function natsAccounts(set: RenderedSet): Set<string> | undefined {
  for (const config of set.ofKind('ConfigMap')) {
    for (const text of Object.values(isRecord(config['data']) ? config['data'] : {})) {
      if (typeof text !== 'string' || !/^\s*jetstream\s*[:{]/m.test(text)) continue;
      const block = /^\s*accounts\s*[:=]?\s*\{([\s\S]*)$/m.exec(text)?.[1];
      if (block === undefined) continue;
      return new Set([...block.matchAll(/^\s{0,8}([A-Za-z0-9_-]+)\s*[:=]?\s*\{/gm)].map((m) => m[1] as string));
    }
  }
  return undefined;
}

/**
 * Scaling on the backlog (KEDA): no workload has two autoscalers (a HorizontalPodAutoscaler
 * and a ScaledObject, or two ScaledObjects, fight over its replicas); a NATS JetStream trigger
 * polls a monitoring endpoint that is a Service port of the render, names an account the NATS
 * config declares and a stream and durable consumer of Tandem's topology (libs/contracts) —
 * for the fulfilment worker, the durable of the version it runs (ADR 0018). A wrong name there
 * does not fail: the scaler finds no backlog, and the workload never wakes from zero.
 */
export const kedaScalers: Rule = {
  name: 'keda-scalers',
  description:
    'one autoscaler per workload; a nats-jetstream trigger polls a Service of the render, for an account of the NATS config and a stream and durable of the topology (the fulfilment worker: its version’s)',
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

    const accounts = natsAccounts(set);
    const streams = new Set<string>(TandemTopology.streams.map((s) => s.name));
    for (const scaler of scaledObjects) {
      asArray(getPath(scaler, ['spec', 'triggers'])).forEach((trigger, index) => {
        if (!isRecord(trigger) || trigger['type'] !== 'nats-jetstream') return;
        const metadata = isRecord(trigger['metadata']) ? trigger['metadata'] : {};
        const at = (field: string) => ({ object: scaler, path: ['spec', 'triggers', index, 'metadata', field] });
        const endpoint = metadata['natsServerMonitoringEndpoint'];
        const problem = serviceUrlProblem(
          set,
          `${metadata['useHttps'] === 'true' ? 'https' : 'http'}://${String(endpoint)}`,
          namespaceOf(scaler),
        );
        if (problem)
          findings.push({ ...at('natsServerMonitoringEndpoint'), message: `monitoring endpoint ${String(endpoint)}: ${problem}` });
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
        const expected = version ? fulfilmentConsumerOf(version).durable : undefined;
        if (expected !== undefined && consumer !== expected)
          findings.push({
            ...at('consumer'),
            message: `consumer "${consumer}" is not the durable of the fulfilment ${version} this scales ("${expected}"): it would wake on another version's backlog`,
          });
        else if (!TandemTopology.consumers.some((c) => c.stream === stream && c.durable === consumer))
          findings.push({ ...at('consumer'), message: `consumer "${consumer}" is not a durable of stream ${stream} in the topology` });
      });
    }
    return findings;
  },
};
