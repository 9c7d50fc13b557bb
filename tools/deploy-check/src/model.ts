/** A Kubernetes (or Istio) object as plain data, the shape YAML parsing gives. */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, unknown>; annotations?: Record<string, unknown> };
};

/** A path into an object, as YAML/JSON keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/** Where an object was written: a file under the checked root and the document's index in it. */
export interface SourceRef {
  /** Path relative to the checked root's parent (e.g. `deploy/istio/order-virtualservice.yaml`). */
  readonly file: string;
  readonly document: number;
}

/** An object as one kustomization renders it, with the file it came from when known. */
export interface RenderedObject {
  readonly object: KubeObject;
  /** The kustomization directory that rendered it (relative, e.g. `deploy/k8s/overlays/kind`), or undefined for a plain file. */
  readonly renderedBy?: string;
  readonly source?: SourceRef;
}

/** One problem, named by rule, located by file, object and field. */
export interface Finding {
  readonly rule: string;
  readonly file: string;
  /** 1-based line of the field in the file when it can be found there, else of the object. */
  readonly line?: number;
  /** `Kind namespace/name`. */
  readonly object: string;
  /** Dotted field path, e.g. `spec.http[1].route[0].weight`. */
  readonly field: string;
  readonly message: string;
  /** Kustomizations whose output showed the problem (empty for plain files). */
  readonly renderedBy: readonly string[];
}

export function kindOf(object: KubeObject): string {
  return typeof object.kind === 'string' ? object.kind : '';
}

export function nameOf(object: KubeObject): string {
  return typeof object.metadata?.name === 'string' ? object.metadata.name : '';
}

export function namespaceOf(object: KubeObject): string {
  return typeof object.metadata?.namespace === 'string' ? object.metadata.namespace : '';
}

/** `Kind namespace/name` (or `Kind name` for cluster-scoped objects). */
export function describeObject(object: KubeObject): string {
  const ns = namespaceOf(object);
  return `${kindOf(object) || '(no kind)'} ${ns ? `${ns}/` : ''}${nameOf(object) || '(no name)'}`;
}

/** `spec.http[1].route[0].weight` from `['spec','http',1,'route',0,'weight']`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

/** Reads a nested value; undefined when any step is missing. */
export function getPath(value: unknown, path: FieldPath): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
