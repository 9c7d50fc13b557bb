import { parse } from 'yaml';
import { getPath, namespaceOf } from '../model';
import type { Rule, RuleFinding } from '../rule';

/**
 * Pods with a sidecar start after it and keep it until their connections close
 * (holdApplicationUntilProxyStarts, EXIT_ON_ZERO_ACTIVE_CONNECTIONS: docs/operations.md).
 */
export const sidecarLifecycle: Rule = {
  name: 'sidecar-lifecycle',
  description:
    'pods in injected namespaces set holdApplicationUntilProxyStarts and EXIT_ON_ZERO_ACTIVE_CONNECTIONS in proxy.istio.io/config',
  check(set) {
    const findings: RuleFinding[] = [];
    const injected = new Set(
      set
        .ofKind('Namespace')
        .filter((ns) => getPath(ns, ['metadata', 'labels', 'istio-injection']) === 'enabled')
        .map((ns) => String(getPath(ns, ['metadata', 'name']))),
    );
    for (const workload of set.workloads()) {
      if (!injected.has(namespaceOf(workload.object)) || workload.labels['sidecar.istio.io/inject'] === 'false') continue;
      const path = ['spec', 'template', 'metadata', 'annotations', 'proxy.istio.io/config'];
      const text = workload.annotations['proxy.istio.io/config'];
      let config: unknown;
      try {
        config = text === undefined ? undefined : parse(text);
      } catch (error) {
        findings.push({ object: workload.object, path, message: `is not valid YAML: ${(error as Error).message.split('\n')[0]}` });
        continue;
      }
      if (getPath(config, ['holdApplicationUntilProxyStarts']) !== true) {
        findings.push({
          object: workload.object,
          path,
          message: 'does not set holdApplicationUntilProxyStarts: true (the app could start before its sidecar and fail its first calls)',
        });
      }
      const exitOnZero = String(getPath(config, ['proxyMetadata', 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS']) ?? '');
      if (exitOnZero !== 'true' && getPath(config, ['terminationDrainDuration']) === undefined) {
        findings.push({
          object: workload.object,
          path,
          message:
            'sets neither proxyMetadata.EXIT_ON_ZERO_ACTIVE_CONNECTIONS "true" nor terminationDrainDuration: the sidecar would stop 5 s after SIGTERM, cutting NATS before the app drains',
        });
      }
    }
    return findings;
  },
};
