import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { asArray, isRecord, kindOf, nameOf, namespaceOf, type KubeObject } from './model';

/** A kustomization uses something the built-in renderer does not implement. */
export class KustomizationError extends Error {
  readonly code = 'DEPLOY_CHECK_KUSTOMIZATION';
  constructor(
    readonly directory: string,
    message: string,
  ) {
    super(`${directory}: ${message}`);
    this.name = 'KustomizationError';
  }
}

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/**
 * Renders a kustomization without kubectl, for machines that have none. It implements the
 * part of kustomize Tandem's manifests use — `resources` (files and directories),
 * `patches` with JSON 6902 operations and a `target`, and `images` — and refuses anything
 * else by name rather than rendering it wrongly. Where kubectl is installed, deploy:check
 * uses `kubectl kustomize` and a test holds this renderer to the same output.
 */
export function renderKustomization(directory: string): KubeObject[] {
  return render(resolve(directory), new Set());
}

/** The kustomization file in a directory, if there is one. */
export function kustomizationFile(directory: string): string | undefined {
  return KUSTOMIZATION_FILES.map((name) => join(directory, name)).find((path) => existsSync(path));
}

function render(directory: string, visiting: Set<string>): KubeObject[] {
  if (visiting.has(directory)) throw new KustomizationError(directory, 'resources form a cycle');
  const file = kustomizationFile(directory);
  if (!file) throw new KustomizationError(directory, 'no kustomization.yaml in this directory');
  const spec = parse(readFileSync(file, 'utf8')) as unknown;
  if (!isRecord(spec)) throw new KustomizationError(directory, 'kustomization.yaml is not a mapping');
  for (const field of Object.keys(spec)) {
    if (!SUPPORTED_FIELDS.has(field)) {
      throw new KustomizationError(directory, `field "${field}" is not supported by the built-in renderer; install kubectl to render it`);
    }
  }
  visiting.add(directory);
  const objects: KubeObject[] = [];
  for (const entry of asArray(spec['resources'])) {
    if (typeof entry !== 'string') throw new KustomizationError(directory, 'resources entries must be paths');
    if (entry.includes('://'))
      throw new KustomizationError(directory, `remote resource "${entry}" is not supported by the built-in renderer`);
    const path = resolve(directory, entry);
    if (!existsSync(path)) throw new KustomizationError(directory, `resource "${entry}" does not exist`);
    objects.push(...(statSync(path).isDirectory() ? render(path, visiting) : readObjects(path)));
  }
  visiting.delete(directory);
  assertUnique(directory, objects);
  asArray(spec['patches']).forEach((patch, index) => applyPatch(directory, objects, patch, index));
  asArray(spec['images']).forEach((image, index) => applyImage(directory, objects, image, index));
  return objects;
}

function readObjects(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .filter((value): value is KubeObject => isRecord(value));
}

function assertUnique(directory: string, objects: readonly KubeObject[]): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${String(object.apiVersion)}/${kindOf(object)}/${namespaceOf(object)}/${nameOf(object)}`;
    if (seen.has(id))
      throw new KustomizationError(directory, `${kindOf(object)} ${namespaceOf(object)}/${nameOf(object)} is declared twice`);
    seen.add(id);
  }
}

function applyPatch(directory: string, objects: KubeObject[], patch: unknown, index: number): void {
  const where = `patches[${index}]`;
  if (!isRecord(patch)) throw new KustomizationError(directory, `${where} must be a mapping`);
  const target = patch['target'];
  if (!isRecord(target))
    throw new KustomizationError(directory, `${where}: only patches with a target are supported by the built-in renderer`);
  if (target['labelSelector'] !== undefined || target['annotationSelector'] !== undefined) {
    throw new KustomizationError(directory, `${where}: target selectors are not supported by the built-in renderer`);
  }
  const text =
    typeof patch['patch'] === 'string'
      ? patch['patch']
      : typeof patch['path'] === 'string'
        ? readFileSync(resolve(directory, patch['path']), 'utf8')
        : undefined;
  if (text === undefined) throw new KustomizationError(directory, `${where} needs "patch" or "path"`);
  const operations = parse(text) as unknown;
  if (!Array.isArray(operations)) {
    throw new KustomizationError(
      directory,
      `${where}: strategic-merge patches are not supported by the built-in renderer; use JSON 6902 operations`,
    );
  }
  const matches = objects.filter((object) => matchesTarget(object, target));
  matches.forEach((object) => {
    const patched = applyOperations(
      structuredClone(object),
      operations,
      (message) => new KustomizationError(directory, `${where}: ${message}`),
    );
    objects[objects.indexOf(object)] = patched as KubeObject;
  });
}

function matchesTarget(object: KubeObject, target: Record<string, unknown>): boolean {
  const [group, version] = String(object.apiVersion ?? '').includes('/')
    ? String(object.apiVersion).split('/')
    : ['', String(object.apiVersion ?? '')];
  const checks: [unknown, string][] = [
    [target['group'], group ?? ''],
    [target['version'], version ?? ''],
    [target['kind'], kindOf(object)],
    [target['name'], nameOf(object)],
    [target['namespace'], namespaceOf(object)],
  ];
  return checks.every(([wanted, actual]) => wanted === undefined || new RegExp(`^(?:${String(wanted)})$`).test(actual));
}

/** Applies RFC 6902 operations (add, remove, replace, test) to a document. */
export function applyOperations(document: unknown, operations: readonly unknown[], fail: (message: string) => Error): unknown {
  let root = document;
  operations.forEach((operation, index) => {
    if (!isRecord(operation) || typeof operation['op'] !== 'string' || typeof operation['path'] !== 'string') {
      throw fail(`operation ${index} needs "op" and "path"`);
    }
    const { op, path } = operation as { op: string; path: string };
    const tokens =
      path === ''
        ? []
        : path
            .split('/')
            .slice(1)
            .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) {
      if (op === 'replace' || op === 'add') root = structuredClone(operation['value']);
      else throw fail(`operation ${index}: "${op}" on the whole document`);
      return;
    }
    const last = tokens[tokens.length - 1] as string;
    let parent: unknown = root;
    for (const token of tokens.slice(0, -1)) {
      parent = Array.isArray(parent) ? parent[Number(token)] : isRecord(parent) ? parent[token] : undefined;
      if (parent === undefined) throw fail(`operation ${index}: path ${path} does not exist`);
    }
    if (Array.isArray(parent)) {
      const at = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(at) || at < 0 || at > parent.length || (op !== 'add' && at >= parent.length)) {
        throw fail(`operation ${index}: index ${last} is out of range in ${path}`);
      }
      if (op === 'add') parent.splice(at, 0, structuredClone(operation['value']));
      else if (op === 'remove') parent.splice(at, 1);
      else if (op === 'replace') parent[at] = structuredClone(operation['value']);
      else if (op === 'test') assertEqual(parent[at], operation['value'], () => fail(`operation ${index}: test of ${path} failed`));
      else throw fail(`operation ${index}: "${op}" is not supported by the built-in renderer`);
    } else if (isRecord(parent)) {
      if (op !== 'add' && !(last in parent)) throw fail(`operation ${index}: path ${path} does not exist`);
      if (op === 'add' || op === 'replace') parent[last] = structuredClone(operation['value']);
      else if (op === 'remove') delete parent[last];
      else if (op === 'test') assertEqual(parent[last], operation['value'], () => fail(`operation ${index}: test of ${path} failed`));
      else throw fail(`operation ${index}: "${op}" is not supported by the built-in renderer`);
    } else {
      throw fail(`operation ${index}: path ${path} does not exist`);
    }
  });
  return root;
}

function assertEqual(actual: unknown, expected: unknown, fail: () => Error): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw fail();
}

function applyImage(directory: string, objects: KubeObject[], image: unknown, index: number): void {
  if (!isRecord(image) || typeof image['name'] !== 'string') throw new KustomizationError(directory, `images[${index}] needs a "name"`);
  const { name } = image as { name: string };
  for (const object of objects) {
    for (const container of podContainers(object)) {
      const current = container['image'];
      if (typeof current !== 'string' || imageName(current) !== name) continue;
      const reference = splitImage(current);
      const newName = typeof image['newName'] === 'string' ? image['newName'] : reference.name;
      if (typeof image['digest'] === 'string') container['image'] = `${newName}@${image['digest']}`;
      else if (image['newTag'] !== undefined) container['image'] = `${newName}:${String(image['newTag'])}`;
      else container['image'] = `${newName}${reference.suffix}`;
    }
  }
}

function podContainers(object: KubeObject): Record<string, unknown>[] {
  const spec = isRecord(object['spec']) ? object['spec'] : undefined;
  const template = spec && isRecord(spec['template']) ? spec['template'] : undefined;
  const podSpec = kindOf(object) === 'Pod' ? spec : template && isRecord(template['spec']) ? template['spec'] : undefined;
  if (!podSpec) return [];
  return [...asArray(podSpec['containers']), ...asArray(podSpec['initContainers'])].filter(isRecord);
}

function splitImage(image: string): { name: string; suffix: string } {
  const at = image.indexOf('@');
  if (at >= 0) return { name: image.slice(0, at), suffix: image.slice(at) };
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { name: image.slice(0, colon), suffix: image.slice(colon) } : { name: image, suffix: '' };
}

function imageName(image: string): string {
  return splitImage(image).name;
}
