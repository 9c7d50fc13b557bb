import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml';
import { ManifestShapeError, ManifestUnreadableError } from './canary-errors';

/** A parsed single-document manifest whose root is a mapping, with the file name used in messages. */
export interface Manifest {
  readonly file: string;
  readonly doc: Document.Parsed;
  /** Values are typed `unknown`: without `keepScalar`, `get()` returns plain values, not nodes. */
  readonly root: YAMLMap<unknown, unknown>;
}

/**
 * Parses one Kubernetes manifest and checks its `apiVersion` group and `kind`.
 * Throws {@link ManifestUnreadableError} for invalid YAML and {@link ManifestShapeError}
 * for anything else that is not the expected kind of object.
 */
export function parseManifest(text: string, file: string, expected: { readonly group: string; readonly kind: string }): Manifest {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    // yaml's messages end with a source excerpt; the first line already says what and where.
    const first = doc.errors[0].message.split('\n')[0].replace(/:$/, '');
    throw new ManifestUnreadableError(file, `not valid YAML: ${first}`, { cause: doc.errors[0] });
  }
  const root: unknown = doc.contents;
  if (!isMap<unknown, unknown>(root))
    throw new ManifestShapeError(file, '(document)', `expected a ${expected.kind} object, got ${describe(root)}`);
  const kind = root.get('kind');
  if (kind !== expected.kind) throw new ManifestShapeError(file, 'kind', `expected ${expected.kind}, got ${describe(kind)}`);
  const apiVersion = root.get('apiVersion');
  if (typeof apiVersion !== 'string' || !apiVersion.startsWith(`${expected.group}/`)) {
    throw new ManifestShapeError(file, 'apiVersion', `expected ${expected.group}/<version>, got ${describe(apiVersion)}`);
  }
  return { file, doc, root };
}

/** How a YAML value reads in a message: `"v3"`, `150`, `nothing`, `a list`. */
export function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isScalar(value)) return describe(value.value);
  if (isMap(value)) return 'a mapping';
  if (isSeq(value)) return 'a list';
  return 'an unsupported value';
}
