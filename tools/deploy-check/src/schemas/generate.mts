/**
 * Writes deploy:check's vendored schemas (tools/deploy-check/src/schemas/*.json) from their
 * sources, made strict the way `kubectl apply` is (its default, `--validate=strict`): an
 * object with declared fields refuses any other field, unless the schema says to keep
 * unknown fields (`x-kubernetes-preserve-unknown-fields`) or is a map. Descriptions,
 * defaults and patch hints are dropped; types, enums, formats, required fields, bounds,
 * `oneOf`s and the CRDs' CEL rules (`x-kubernetes-validations`) are kept.
 *
 *   npm run deploy:schemas -- --kubernetes <kubectl-validate checkout> --istio <istio checkout at the tag> --istio-version <the tag> \
 *     --keda <keda checkout at the tag> --keda-version <the tag without v>
 *
 * Runs on Node 24 as it is (type stripping): it imports nothing of the project's own.
 * tools/deploy-check/src/schemas/SOURCES.md names the commits the vendored files came from.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';

type Schema = Record<string, unknown>;

/** The Kubernetes version whose built-in API schemas are vendored (the kind node image's minor). */
const KUBERNETES_VERSION = '1.35';

/**
 * The API groups whose kinds are vendored (every kind of each, lists aside): those deploy/
 * uses and their neighbours. Another group is one more line here.
 */
const KUBERNETES_GROUPS = [
  'api/v1',
  'apis/apps/v1',
  'apis/autoscaling/v1',
  'apis/autoscaling/v2',
  'apis/batch/v1',
  'apis/networking.k8s.io/v1',
  'apis/policy/v1',
  'apis/rbac.authorization.k8s.io/v1',
  'apis/scheduling.k8s.io/v1',
  'apis/storage.k8s.io/v1',
];

/**
 * Definitions whose OpenAPI `required` the API server does not enforce: status (written by
 * controllers, ignored on apply) and fields whose Go validation accepts the empty value.
 */
function requiredIsEnforced(name: string): boolean {
  return !/(Status|Condition)$/.test(name) && name !== 'io.k8s.api.core.v1.HTTPHeader' && name !== 'io.k8s.api.core.v1.Sysctl';
}

/** Keywords kept from the sources; everything else (descriptions, defaults, patch hints) goes. */
const KEPT = new Set([
  '$ref',
  'type',
  'format',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-validations',
]);

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A schema made strict and trimmed: `additionalProperties: false` on every object that
 * declares properties and neither keeps unknown fields nor is a map; `$ref`s re-pointed.
 */
function strictify(schema: Schema, ref: (target: string) => string): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!KEPT.has(key)) continue;
    if (key === '$ref' && typeof value === 'string') out[key] = ref(value);
    else if (key === 'properties' && isSchema(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, isSchema(child) ? strictify(child, ref) : child]));
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isSchema(value)) out[key] = strictify(value, ref);
    else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = value.map((child: unknown) => (isSchema(child) ? strictify(child, ref) : child));
    } else if (key === 'x-kubernetes-validations' && Array.isArray(value)) {
      out[key] = value.map((rule: unknown) =>
        isSchema(rule) ? pick(rule, ['rule', 'message', 'messageExpression', 'fieldPath', 'reason', 'optionalOldSelf']) : rule,
      );
    } else out[key] = value;
  }
  if (isSchema(out['properties']) && out['additionalProperties'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out['additionalProperties'] = false;
  }
  return out;
}

function pick(source: Schema, keys: readonly string[]): Schema {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}

interface SourceFile {
  readonly path: string;
  readonly sha256: string;
}

function read(root: string, path: string, files: SourceFile[]): string {
  const text = readFileSync(join(root, path), 'utf8');
  files.push({ path, sha256: createHash('sha256').update(text).digest('hex') });
  return text;
}

const K8S_REF = '#/components/schemas/';

/** Kubernetes' built-in kinds: every kind of the groups read, and every definition they reach. */
function kubernetesSchemas(checkout: string): { vendored: Schema; $defs: Record<string, Schema> } {
  const files: SourceFile[] = [];
  const definitions = new Map<string, Schema>();
  const kinds: Record<string, Record<string, string>> = {};
  const roots: string[] = [];
  for (const file of KUBERNETES_GROUPS) {
    const path = `pkg/openapiclient/builtins/${KUBERNETES_VERSION}/${file}.json`;
    const document = JSON.parse(read(checkout, path, files)) as { components: { schemas: Record<string, Schema> } };
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      definitions.set(name, schema);
      const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as { kind: string; group: string; version: string }[];
      for (const gvk of gvks) {
        if (`${gvk.group ? `${gvk.group}/` : ''}${gvk.version}` !== apiVersionOf(file) || !isManifestKind(gvk.kind)) continue;
        (kinds[apiVersionOf(file)] ??= {})[gvk.kind] = name;
        roots.push(name);
      }
    }
  }
  const $defs: Record<string, Schema> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if ($defs[name]) continue;
    const source = definitions.get(name);
    if (!source) throw new Error(`definition ${name} is referenced but not found`);
    const strict = strictify(source, (target) => {
      const referenced = target.replace(K8S_REF, '');
      pending.push(referenced);
      return `#/$defs/${referenced}`;
    });
    if (!requiredIsEnforced(name)) delete strict['required'];
    $defs[name] = strict;
  }
  const sorted = sortKeys($defs);
  return {
    vendored: {
      source: {
        repository: 'https://github.com/kubernetes-sigs/kubectl-validate',
        license: 'Apache-2.0',
        kubernetes: KUBERNETES_VERSION,
        files,
      },
      kinds: sortKeys(Object.fromEntries(Object.entries(kinds).map(([apiVersion, byKind]) => [apiVersion, sortKeys(byKind)]))),
      schema: { $id: `kubernetes-${KUBERNETES_VERSION}.json`, $defs: sorted },
    },
    $defs: sorted,
  };
}

/** Lists and the API's own envelopes (every group declares them) are not written in manifests. */
function isManifestKind(kind: string): boolean {
  return !kind.endsWith('List') && kind !== 'DeleteOptions' && kind !== 'WatchEvent' && kind !== 'Status';
}

function apiVersionOf(file: string): string {
  return file.replace(/^apis?\//, '');
}

const CRD_FILE = 'manifests/charts/base/files/crd-all.gen.yaml';

interface Crd {
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }[] };
}

/**
 * The served versions of the CRDs in `text` (a version whose schema equals an earlier one's
 * shares its definition), added to `kinds` and `$defs`; `metadata` is Kubernetes' ObjectMeta.
 */
function crdSchemas(text: string, kinds: Record<string, Record<string, string>>, $defs: Record<string, Schema>): void {
  const objectMeta = `kubernetes-${KUBERNETES_VERSION}.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as Crd | null;
    if (!crd?.spec?.versions) continue;
    const seen = new Map<string, string>();
    for (const version of crd.spec.versions) {
      const schema = version.schema?.openAPIV3Schema;
      if (!version.served || !schema) continue;
      const apiVersion = `${crd.spec.group}/${version.name}`;
      const strict = strictify(schema, (target) => target);
      const properties: Schema = {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: objectMeta },
        ...(strict['properties'] as Schema),
      };
      // Kubernetes' ObjectMeta, whatever the CRD says (controller-gen writes `type: object`); the key keeps its place.
      properties['metadata'] = { $ref: objectMeta };
      const definition = { ...strict, properties, additionalProperties: false };
      const serialized = JSON.stringify(definition);
      const name = seen.get(serialized) ?? `${apiVersion}/${crd.spec.names.kind}`;
      seen.set(serialized, name);
      $defs[name] = definition;
      (kinds[apiVersion] ??= {})[crd.spec.names.kind] = name;
    }
  }
}

/** Istio's CRDs, every served version, plus the IstioOperator. */
function istioSchemas(checkout: string, istioVersion: string, kubernetes: Record<string, Schema>): Schema {
  const files: SourceFile[] = [];
  const kinds: Record<string, Record<string, string>> = {};
  const $defs: Record<string, Schema> = {};
  const objectMeta = `kubernetes-${KUBERNETES_VERSION}.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
  crdSchemas(read(checkout, CRD_FILE, files), kinds, $defs);
  kinds['install.istio.io/v1alpha1'] = { IstioOperator: 'install.istio.io/v1alpha1/IstioOperator' };
  $defs['install.istio.io/v1alpha1/IstioOperator'] = istioOperatorSchema(objectMeta);
  Object.assign($defs, lenientCopies(kubernetes, ISTIO_OPERATOR_KUBERNETES_TYPES));
  return {
    source: { repository: 'https://github.com/istio/istio', license: 'Apache-2.0', istio: istioVersion, files },
    kinds: sortKeys(Object.fromEntries(Object.entries(kinds).map(([apiVersion, byKind]) => [apiVersion, sortKeys(byKind)]))),
    schema: { $id: `istio-${istioVersion}.json`, $defs: sortKeys($defs) },
  };
}

/** The KEDA CRDs deploy/ uses (ScaledObject, and TriggerAuthentication beside it), from a checkout at the release tag. */
const KEDA_CRD_FILES = ['config/crd/bases/keda.sh_scaledobjects.yaml', 'config/crd/bases/keda.sh_triggerauthentications.yaml'];

function kedaSchemas(checkout: string, kedaVersion: string): Schema {
  const files: SourceFile[] = [];
  const kinds: Record<string, Record<string, string>> = {};
  const $defs: Record<string, Schema> = {};
  for (const file of KEDA_CRD_FILES) crdSchemas(read(checkout, file, files), kinds, $defs);
  return {
    source: { repository: 'https://github.com/kedacore/keda', license: 'Apache-2.0', keda: kedaVersion, files },
    kinds: sortKeys(Object.fromEntries(Object.entries(kinds).map(([apiVersion, byKind]) => [apiVersion, sortKeys(byKind)]))),
    schema: { $id: `keda-${kedaVersion}.json`, $defs: sortKeys($defs) },
  };
}

/**
 * The IstioOperator has had no CRD since Istio 1.24: istioctl decodes it into the Go type
 * `operator/pkg/apis/types.go` with unknown fields refused. This is that type, transcribed;
 * `meshConfig` and `values` stay open here (istioctl checks them against protobuf messages
 * that have no published schema).
 */
function istioOperatorSchema(objectMeta: string): Schema {
  const k8s = (name: string): Schema => ({ $ref: `#/$defs/${ISTIOCTL_PREFIX}${name}` });
  const strict = (properties: Schema): Schema => ({ type: 'object', properties, additionalProperties: false });
  const stringMap = { type: 'object', additionalProperties: { type: 'string' } };
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  // `any` in Go: a YAML `tag: 1.30` is a number, which istioctl turns into a string.
  const tag = { anyOf: [{ type: 'string' }, { type: 'number' }] };
  const kubernetesResources = strict({
    affinity: k8s('io.k8s.api.core.v1.Affinity'),
    env: { type: 'array', items: k8s('io.k8s.api.core.v1.EnvVar') },
    hpaSpec: k8s('io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec'),
    imagePullPolicy: { type: 'string' },
    nodeSelector: stringMap,
    podDisruptionBudget: k8s('io.k8s.api.policy.v1.PodDisruptionBudgetSpec'),
    podAnnotations: stringMap,
    priorityClassName: { type: 'string' },
    readinessProbe: k8s('io.k8s.api.core.v1.Probe'),
    replicaCount: { type: 'integer', minimum: 0, maximum: 4294967295 },
    resources: k8s('io.k8s.api.core.v1.ResourceRequirements'),
    service: k8s('io.k8s.api.core.v1.ServiceSpec'),
    strategy: k8s('io.k8s.api.apps.v1.DeploymentStrategy'),
    tolerations: { type: 'array', items: k8s('io.k8s.api.core.v1.Toleration') },
    serviceAnnotations: stringMap,
    securityContext: k8s('io.k8s.api.core.v1.PodSecurityContext'),
    volumes: { type: 'array', items: k8s('io.k8s.api.core.v1.Volume') },
    volumeMounts: { type: 'array', items: k8s('io.k8s.api.core.v1.VolumeMount') },
    overlays: {
      type: 'array',
      items: strict({
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        name: { type: 'string' },
        patches: { type: 'array', items: strict({ path: { type: 'string' }, value: {} }) },
      }),
    },
  });
  const component = {
    enabled: { type: 'boolean' },
    namespace: { type: 'string' },
    hub: { type: 'string' },
    tag,
    k8s: kubernetesResources,
  };
  const gateway = strict({ ...component, name: { type: 'string' }, label: stringMap });
  return strict({
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { $ref: objectMeta },
    spec: strict({
      profile: { type: 'string' },
      installPackagePath: { type: 'string' },
      hub: { type: 'string' },
      tag,
      namespace: { type: 'string' },
      revision: { type: 'string' },
      compatibilityVersion: { type: 'string' },
      meshConfig: open,
      components: strict({
        base: strict({ enabled: { type: 'boolean' }, k8s: kubernetesResources }),
        pilot: strict(component),
        cni: strict(component),
        ztunnel: strict(component),
        istiodRemote: strict(component),
        ingressGateways: { type: 'array', items: gateway },
        egressGateways: { type: 'array', items: gateway },
      }),
      values: open,
      unvalidatedValues: open,
    }),
  });
}

/** The Kubernetes types the IstioOperator embeds (operator/pkg/apis/types.go). */
const ISTIO_OPERATOR_KUBERNETES_TYPES = [
  'io.k8s.api.core.v1.Affinity',
  'io.k8s.api.core.v1.EnvVar',
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec',
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec',
  'io.k8s.api.core.v1.Probe',
  'io.k8s.api.core.v1.ResourceRequirements',
  'io.k8s.api.core.v1.ServiceSpec',
  'io.k8s.api.apps.v1.DeploymentStrategy',
  'io.k8s.api.core.v1.Toleration',
  'io.k8s.api.core.v1.PodSecurityContext',
  'io.k8s.api.core.v1.Volume',
  'io.k8s.api.core.v1.VolumeMount',
];

const ISTIOCTL_PREFIX = 'istioctl.';

/**
 * Copies of Kubernetes definitions, and all they reach, as istioctl reads them: Go's JSON
 * decoder refuses unknown fields but requires none (an `hpaSpec` without `scaleTargetRef`
 * is fine: istioctl fills it in).
 */
function lenientCopies(kubernetes: Record<string, Schema>, roots: readonly string[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (out[`${ISTIOCTL_PREFIX}${name}`]) continue;
    const source = kubernetes[name];
    if (!source) throw new Error(`the IstioOperator embeds ${name}, which the Kubernetes schemas lack`);
    out[`${ISTIOCTL_PREFIX}${name}`] = withoutRequired(source, (referenced) => {
      pending.push(referenced);
      return `#/$defs/${ISTIOCTL_PREFIX}${referenced}`;
    }) as Schema;
  }
  return out;
}

function withoutRequired(value: unknown, ref: (referenced: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutRequired(item, ref));
  if (!isSchema(value)) return value;
  const out: Schema = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'required') continue;
    if (key === '$ref' && typeof child === 'string') out[key] = ref(child.replace('#/$defs/', ''));
    else if (key === 'properties' && isSchema(child)) {
      out[key] = Object.fromEntries(Object.entries(child).map(([field, schema]) => [field, withoutRequired(schema, ref)]));
    } else out[key] = withoutRequired(child, ref);
  }
  return out;
}

/** Keys in code-point order, whatever the locale: the output must not depend on the machine. */
function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      kubernetes: { type: 'string' },
      istio: { type: 'string' },
      'istio-version': { type: 'string' },
      keda: { type: 'string' },
      'keda-version': { type: 'string' },
      out: { type: 'string', default: 'tools/deploy-check/src/schemas' },
    },
    strict: true,
  });
  if (!values.kubernetes || !values.istio || !values['istio-version'] || !values.keda || !values['keda-version']) {
    process.stderr.write(
      'Usage: npm run deploy:schemas -- --kubernetes <kubectl-validate checkout> --istio <istio checkout> --istio-version <x.y.z> --keda <keda checkout> --keda-version <x.y.z>\n',
    );
    process.exit(2);
  }
  const write = (name: string, content: Schema): void => {
    writeFileSync(join(values.out as string, name), `${JSON.stringify(content, null, 2)}\n`);
    process.stdout.write(`wrote ${join(values.out as string, name)}\n`);
  };
  const kubernetes = kubernetesSchemas(values.kubernetes);
  write(`kubernetes-${KUBERNETES_VERSION}.json`, kubernetes.vendored);
  write(`istio-${values['istio-version']}.json`, istioSchemas(values.istio, values['istio-version'], kubernetes.$defs));
  write(`keda-${values['keda-version']}.json`, kedaSchemas(values.keda, values['keda-version']));
}

main();
