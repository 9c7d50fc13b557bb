import { getPath, kindOf, type FieldPath, type KubeObject } from './model';

/** One way an object breaks its schema. */
export interface SchemaProblem {
  readonly path: FieldPath;
  readonly message: string;
}

interface ValidationErrorShape {
  errors?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  message?: string;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** apiVersions that are not Kubernetes API objects: kustomize and kind configuration. */
const NOT_API_OBJECTS = /^(kustomize\.config\.k8s\.io|kind\.x-k8s\.io)\//;

/** Whether an object is meant for the Kubernetes API (and so has a schema to meet). */
export function isApiObject(object: KubeObject): boolean {
  return typeof object.apiVersion === 'string' && !NOT_API_OBJECTS.test(object.apiVersion);
}

/**
 * Validates an object against the OpenAPI schema of its apiVersion and kind, as published
 * by `kubernetes-models` (Kubernetes) and `@kubernetes-models/istio` (Istio CRDs). These
 * packages ship ESM only, so they are loaded with `import()`; an unknown apiVersion/kind is
 * itself a problem (a typo there is the most common way to write an object nothing reads).
 * Schemas check types, enums and required fields; like the API server's default, they do
 * not reject unknown fields.
 */
export async function validateSchema(object: KubeObject): Promise<SchemaProblem[]> {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = kindOf(object);
  if (!apiVersion || !kind) return [{ path: apiVersion ? ['kind'] : ['apiVersion'], message: 'is missing' }];
  const model = await loadModel(apiVersion, kind);
  if (!model)
    return [
      {
        path: ['apiVersion'],
        message: `no schema is known for apiVersion "${apiVersion}" kind "${kind}" (misspelt, or not served by Kubernetes/Istio)`,
      },
    ];
  try {
    new model(object).validate();
    return [];
  } catch (error) {
    const shape = error as ValidationErrorShape;
    if (!Array.isArray(shape.errors)) return [{ path: [], message: shape.message ?? String(error) }];
    return shape.errors.map((problem) => ({ path: toFieldPath(object, problem.instancePath ?? ''), message: describe(problem) }));
  }
}

const cache = new Map<string, Promise<ModelClass | undefined>>();

function loadModel(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const specifier = modelSpecifier(apiVersion, kind);
  let pending = cache.get(specifier);
  if (!pending) {
    pending = (import(specifier) as Promise<Record<string, unknown>>).then(
      (module) => (typeof module[kind] === 'function' ? (module[kind] as ModelClass) : undefined),
      () => undefined,
    );
    cache.set(specifier, pending);
  }
  return pending;
}

/** The module that exports the model class for an apiVersion/kind. */
export function modelSpecifier(apiVersion: string, kind: string): string {
  if (!/^[A-Za-z0-9.\-/]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) return 'invalid:';
  if (!apiVersion.includes('/')) return `kubernetes-models/${apiVersion}/${kind}`;
  const [group] = apiVersion.split('/');
  return group?.endsWith('.istio.io') ? `@kubernetes-models/istio/${apiVersion}/${kind}` : `kubernetes-models/${apiVersion}/${kind}`;
}

function toFieldPath(object: KubeObject, pointer: string): FieldPath {
  const path: (string | number)[] = [];
  for (const token of pointer.split('/').slice(1)) {
    const parent = getPath(object, path);
    path.push(Array.isArray(parent) && /^\d+$/.test(token) ? Number(token) : token.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return path;
}

function describe(problem: { message?: string; params?: Record<string, unknown> }): string {
  const allowed = problem.params?.['allowedValues'];
  const missing = problem.params?.['missingProperty'];
  if (Array.isArray(allowed)) return `${problem.message ?? 'is invalid'}: ${allowed.map(String).join(', ')}`;
  if (typeof missing === 'string') return `requires "${missing}"`;
  return problem.message ?? 'is invalid';
}
