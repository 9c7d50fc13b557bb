import Ajv, { type ErrorObject, type Format, type ValidateFunction } from 'ajv';
import { getPath, isRecord, kindOf, type FieldPath, type KubeObject } from './model';
import { celRules, createCelEnvironment, type CelEnvironment } from './schemas/cel';

/** One way an object breaks its schema. */
export interface SchemaProblem {
  /** `schema` for the OpenAPI schema, `cel` for a CRD's CEL rule (`x-kubernetes-validations`). */
  readonly rule: 'schema' | 'cel';
  readonly path: FieldPath;
  readonly message: string;
}

/** A vendored schema file, as tools/deploy-check/src/schemas/generate.mts writes it. */
interface VendoredSchemas {
  readonly source: Record<string, unknown>;
  /** apiVersion → kind → definition name under `schema.$defs`. */
  readonly kinds: Record<string, Record<string, string>>;
  readonly schema: { $id: string; $defs: Record<string, unknown> };
}

// Plain data, bundled into the CLI; require keeps TypeScript from typing 500 KB of JSON.
const KUBERNETES = require('./schemas/kubernetes-1.35.json') as VendoredSchemas;
const ISTIO = require('./schemas/istio-1.30.3.json') as VendoredSchemas;
const KEDA = require('./schemas/keda-2.20.2.json') as VendoredSchemas;

/** The vendored schema sets and the versions they were taken from. */
export const VENDORED = { kubernetes: KUBERNETES, istio: ISTIO, keda: KEDA } as const;
const SETS = [KUBERNETES, ISTIO, KEDA];

/** `Kubernetes 1.35, Istio 1.30.3 and KEDA 2.20.2`: what the vendored schemas are. */
export const VENDORED_RELEASES = `Kubernetes ${String(KUBERNETES.source['kubernetes'])}, Istio ${String(ISTIO.source['istio'])} and KEDA ${String(KEDA.source['keda'])}`;

/** apiVersions that are not Kubernetes API objects: kustomize and kind configuration. */
const NOT_API_OBJECTS = /^(kustomize\.config\.k8s\.io|kind\.x-k8s\.io)\//;

/** Whether an object is meant for the Kubernetes API (and so has a schema to meet). */
export function isApiObject(object: KubeObject): boolean {
  return typeof object.apiVersion === 'string' && !NOT_API_OBJECTS.test(object.apiVersion);
}

/**
 * Validates objects as strictly as `kubernetes apply` (`--validate=strict`): against the
 * schema of their apiVersion and kind, vendored from Kubernetes 1.35, Istio 1.30.3 and KEDA
 * 2.20.2 (src/schemas/SOURCES.md), where an unknown field is an error, and against the CEL rules
 * of Istio's CRDs. An unknown apiVersion/kind is itself a problem: a typo there is the
 * most common way to write an object nothing reads.
 */
export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(cel: CelEnvironment) {
    this.ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, verbose: true });
    this.ajv.addVocabulary(['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string']);
    this.ajv.addKeyword(celRules(cel));
    for (const [name, validate] of Object.entries(FORMATS)) this.ajv.addFormat(name, validate);
    for (const set of SETS) this.ajv.addSchema(set.schema);
    // Every kind up front: a schema or CEL rule this version cannot read fails every run, not one day.
    for (const set of SETS) {
      for (const [apiVersion, kinds] of Object.entries(set.kinds))
        for (const kind of Object.keys(kinds)) this.validatorFor(apiVersion, kind);
    }
  }

  /** Loads the CEL evaluator (an ES module) and builds a validator. */
  static async create(): Promise<SchemaValidator> {
    return new SchemaValidator(await createCelEnvironment());
  }

  validate(object: KubeObject): SchemaProblem[] {
    const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
    const kind = kindOf(object);
    if (!apiVersion || !kind) return [{ rule: 'schema', path: apiVersion ? ['kind'] : ['apiVersion'], message: 'is missing' }];
    const validate = this.validatorFor(apiVersion, kind);
    if (!validate) {
      return [
        {
          rule: 'schema',
          path: ['apiVersion'],
          message: `no schema is known for apiVersion "${apiVersion}" kind "${kind}" (misspelt, or not among the vendored ${VENDORED_RELEASES} schemas: tools/deploy-check/src/schemas)`,
        },
      ];
    }
    if (validate(withoutNulls(object))) return [];
    return describeErrors(object, validate.errors ?? []);
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    for (const set of SETS) {
      const name = set.kinds[apiVersion]?.[kind];
      if (name === undefined) continue;
      const ref = `${set.schema.$id}#/$defs/${pointerToken(name)}`;
      let validate = this.compiled.get(ref);
      if (!validate) {
        validate = this.ajv.compile({ $ref: ref });
        this.compiled.set(ref, validate);
      }
      return validate;
    }
    return undefined;
  }
}

/**
 * The object as the API server reads it: a field set to null (`creationTimestamp: null`
 * from `kubectl create --dry-run`, or a key left empty in YAML) is as if absent. Items of a
 * list are kept as they are.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (isRecord(item) ? withoutNulls(item) : item));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => child !== null)
      .map(([key, child]) => [key, withoutNulls(child)]),
  );
}

function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

const INT32 = 2 ** 31;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The formats the vendored schemas use, as the API server reads them. */
const FORMATS: Record<string, Format> = {
  int32: { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= -INT32 && value < INT32 },
  int64: { type: 'number', validate: (value: number) => Number.isInteger(value) },
  double: { type: 'number', validate: () => true },
  // Base64; Go's decoder skips line breaks (a value written as a YAML block).
  byte: {
    type: 'string',
    validate: (value: string) => {
      const text = value.replace(/[\r\n]/g, '');
      return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
    },
  },
  'date-time': { type: 'string', validate: (value: string) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)) },
  'int-or-string': { type: 'string', validate: () => true },
};

/** Branch errors under a failed `oneOf`/`anyOf` say nothing the combinator's own error does not. */
function describeErrors(object: KubeObject, errors: readonly ErrorObject[]): SchemaProblem[] {
  const combinators = errors.filter((error) => error.keyword === 'oneOf' || error.keyword === 'anyOf');
  const shown = errors.filter(
    (error) =>
      !combinators.some(
        (parent) =>
          parent !== error && error.schemaPath.startsWith(`${parent.schemaPath}/`) && error.instancePath.startsWith(parent.instancePath),
      ),
  );
  const problems = new Map<string, SchemaProblem>();
  for (const error of shown) {
    const problem = describeError(object, error);
    problems.set(`${problem.path.join('\u0000')}\u0001${problem.message}`, problem);
  }
  return [...problems.values()];
}

function describeError(object: KubeObject, error: ErrorObject): SchemaProblem {
  return { rule: error.keyword === 'x-kubernetes-validations' ? 'cel' : 'schema', ...describeField(object, error) };
}

function describeField(object: KubeObject, error: ErrorObject): Omit<SchemaProblem, 'rule'> {
  const path = toFieldPath(object, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params['additionalProperty']);
      const known =
        isRecord(error.parentSchema) && isRecord(error.parentSchema['properties']) ? Object.keys(error.parentSchema['properties']) : [];
      const near = closest(field, known);
      return { path: [...path, field], message: `unknown field "${field}"${near ? ` (did you mean "${near}"?)` : ''}` };
    }
    case 'required':
      return { path, message: `requires "${String(params['missingProperty'])}"` };
    case 'enum':
      return { path, message: `must be one of: ${(params['allowedValues'] as unknown[]).map(String).join(', ')}` };
    case 'oneOf':
    case 'anyOf':
      return { path, message: describeCombinator(error) };
    case 'x-kubernetes-validations':
      return { path: [...path, ...fieldPathOf(params['fieldPath'])], message: error.message ?? 'is invalid' };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

/** A CEL rule's `fieldPath` (`.spec.port`, `.labels['app']`) as path segments. */
function fieldPathOf(fieldPath: unknown): string[] {
  if (typeof fieldPath !== 'string') return [];
  return [...fieldPath.matchAll(/\.([A-Za-z0-9_-]+)|\['([^']*)'\]/g)].map((match) => (match[1] ?? match[2]) as string);
}

/** `must be integer or string`, or `sets more than one of: exact, prefix, regex`. */
function describeCombinator(error: ErrorObject): string {
  const branches = (Array.isArray(error.schema) ? error.schema : []).filter(isRecord);
  const types = branches.map((branch) => branch['type']).filter((type): type is string => typeof type === 'string');
  if (types.length > 0 && types.length === branches.length) return `must be ${types.join(' or ')}`;
  const exclusive = branches.flatMap((branch) => (Array.isArray(branch['required']) ? branch['required'].map(String) : []));
  if (error.keyword === 'oneOf' && exclusive.length > 1) return `sets more than one of: ${exclusive.join(', ')} (at most one may be set)`;
  return error.message ?? 'is invalid';
}

/** The declared field within two edits of a misspelt one, if exactly one is. */
function closest(field: string, known: readonly string[]): string | undefined {
  const near = known.filter((candidate) => editDistance(field.toLowerCase(), candidate.toLowerCase()) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function toFieldPath(object: KubeObject, pointer: string): FieldPath {
  const path: (string | number)[] = [];
  for (const token of pointer.split('/').slice(1)) {
    const parent = getPath(object, path);
    path.push(Array.isArray(parent) && /^\d+$/.test(token) ? Number(token) : token.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return path;
}
