import { asArray, getPath, isRecord, kindOf, nameOf, namespaceOf, type FieldPath, type KubeObject } from './model';

/** A problem a rule found in one rendered object. */
export interface RuleFinding {
  readonly object: KubeObject;
  readonly path: FieldPath;
  readonly message: string;
}

/** A named cross-check over the objects one kustomization renders. */
export interface Rule {
  /** Stable name printed with every finding (`route-weights`). */
  readonly name: string;
  /** One line for `--help` and the README. */
  readonly description: string;
  check(objects: RenderedSet): RuleFinding[];
}

/** A pod template and where it lives in its workload object. */
export interface Workload {
  readonly object: KubeObject;
  /** Path of the pod spec (`spec.template.spec`). */
  readonly podSpecPath: FieldPath;
  readonly podSpec: Record<string, unknown>;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly containers: { readonly container: Record<string, unknown>; readonly path: FieldPath }[];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** The objects of one render, with lookups the rules share. */
export class RenderedSet {
  constructor(readonly objects: readonly KubeObject[]) {}

  ofKind(kind: string): KubeObject[] {
    return this.objects.filter((object) => kindOf(object) === kind);
  }

  /** Deployments, StatefulSets and DaemonSets with their pod templates. */
  workloads(): Workload[] {
    return this.podTemplates(WORKLOAD_KINDS);
  }

  /** Jobs with their pod templates (run to completion: no probes, no Service). */
  jobs(): Workload[] {
    return this.podTemplates(new Set(['Job']));
  }

  private podTemplates(kinds: ReadonlySet<string>): Workload[] {
    return this.objects
      .filter((object) => kinds.has(kindOf(object)))
      .map((object) => {
        const podSpecPath = ['spec', 'template', 'spec'];
        const podSpec = getPath(object, podSpecPath);
        const metadata = getPath(object, ['spec', 'template', 'metadata']);
        const containers = asArray(isRecord(podSpec) ? podSpec['containers'] : undefined)
          .map((container, index) => ({ container, path: [...podSpecPath, 'containers', index] }))
          .filter((entry): entry is { container: Record<string, unknown>; path: (string | number)[] } => isRecord(entry.container));
        return {
          object,
          podSpecPath,
          podSpec: isRecord(podSpec) ? podSpec : {},
          labels: stringMap(isRecord(metadata) ? metadata['labels'] : undefined),
          annotations: stringMap(isRecord(metadata) ? metadata['annotations'] : undefined),
          containers,
        };
      });
  }

  /** Workloads in a namespace whose pod labels include every selector label. */
  workloadsSelectedBy(namespace: string, selector: Record<string, string>): Workload[] {
    return this.workloads().filter((workload) => namespaceOf(workload.object) === namespace && selects(selector, workload.labels));
  }

  /** The Service a mesh host name refers to (`name`, `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`), seen from a namespace. */
  serviceForHost(host: string, fromNamespace: string): KubeObject | undefined {
    const parts = host.split('.');
    const name = parts[0] ?? '';
    const namespace = parts.length === 1 ? fromNamespace : (parts[1] ?? '');
    const suffix = parts.slice(2).join('.');
    if (!['', 'svc', 'svc.cluster.local'].includes(suffix)) return undefined;
    return this.ofKind('Service').find((service) => getPath(service, ['metadata', 'name']) === name && namespaceOf(service) === namespace);
  }
}

export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/**
 * Whether a Kubernetes label selector (`matchLabels` and `matchExpressions`: In, NotIn,
 * Exists, DoesNotExist) selects these labels. An empty selector selects everything; a
 * missing one (or an unknown operator) nothing.
 */
export function labelSelectorSelects(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false;
  const matchLabels = isRecord(selector['matchLabels']) ? stringMap(selector['matchLabels']) : {};
  if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === value)) return false;
  const expressions = Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : [];
  return expressions.every((expression: unknown) => {
    if (!isRecord(expression) || typeof expression['key'] !== 'string') return false;
    const value = labels[expression['key']];
    const values = Array.isArray(expression['values']) ? expression['values'].map(String) : [];
    switch (expression['operator']) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
}

export function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, String(entry)]));
}

/** Tandem's own images (`tandem/gateway`, `registry/…/tandem/order:…`), which serve /livez, /readyz and /metrics. */
export function tandemApp(image: unknown): string | undefined {
  if (typeof image !== 'string') return undefined;
  return /(?:^|\/)tandem\/(gateway|order|consumer|topology)(?:[:@]|$)/.exec(image)?.[1];
}

/** The value of a literal `env` entry of a container. */
export function envValue(container: Record<string, unknown>, name: string): string | undefined {
  const entry = asArray(container['env']).find((item) => isRecord(item) && item['name'] === name);
  return isRecord(entry) && typeof entry['value'] === 'string' ? entry['value'] : undefined;
}

/** The value of a container's variable: literal, or from a ConfigMap key of the render. */
export function resolveEnvValue(
  set: RenderedSet,
  namespace: string,
  entry: Record<string, unknown>,
): { value?: string; problem?: string; at?: KubeObject } {
  if (typeof entry['value'] === 'string') return { value: entry['value'] };
  const ref = getPath(entry, ['valueFrom', 'configMapKeyRef']);
  if (!isRecord(ref)) return { problem: 'is set from neither a value nor a ConfigMap key' };
  const configMap = set.ofKind('ConfigMap').find((c) => getPath(c, ['metadata', 'name']) === ref['name'] && namespaceOf(c) === namespace);
  if (!configMap) return { problem: `reads ConfigMap ${namespace}/${String(ref['name'])}, which this render does not have` };
  const value = getPath(configMap, ['data', String(ref['key'])]);
  if (typeof value !== 'string')
    return { problem: `reads key ${String(ref['key'])} of ConfigMap ${namespace}/${String(ref['name'])}, which it does not have` };
  return { value, at: configMap };
}

/** Why `url` does not name a Service port of the render seen from `namespace`, or undefined. */
export function serviceUrlProblem(set: RenderedSet, url: unknown, namespace: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  const service = set.serviceForHost(parsed.hostname, namespace);
  if (!service) return `${parsed.host} names no Service of this render`;
  const ports = asArray(getPath(service, ['spec', 'ports'])).map((p) => (isRecord(p) ? Number(p['port']) : Number.NaN));
  if (!ports.includes(port))
    return `${parsed.host} names Service ${namespaceOf(service)}/${nameOf(service)}, which has no port ${port} (it has ${ports.join(', ')})`;
  return undefined;
}
