import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { describeObject, kindOf, nameOf, namespaceOf, type FieldPath, type KubeObject, type SourceRef } from './model';

/** One YAML document of a file under the checked tree. */
export interface SourceDocument {
  readonly ref: SourceRef;
  readonly object: KubeObject;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** A file that is not valid YAML. */
export interface SyntaxProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/**
 * Every YAML file under a directory, parsed with positions, and an index from
 * `kind/namespace/name` to the document that declares the object — how a rendered
 * object is traced back to the file a reader should open.
 */
export class SourceIndex {
  readonly documents: SourceDocument[] = [];
  readonly syntaxProblems: SyntaxProblem[] = [];
  /** Every document per identity: two overlays may each declare their own object of one name. */
  private readonly byIdentity = new Map<string, SourceDocument[]>();

  /** @param root the directory to read (e.g. `<repo>/deploy`); paths are reported relative to its parent. */
  constructor(readonly root: string) {
    for (const file of yamlFiles(root)) this.readFile(file);
  }

  /**
   * The document declaring an object with this kind, namespace and name, if any. When several
   * do (each overlay its own ConfigMap, say), the one under `renderedBy` (the kustomization
   * directory whose render holds the object), else one outside every overlay, else the first.
   */
  find(object: KubeObject, renderedBy?: string): SourceDocument | undefined {
    const list =
      this.byIdentity.get(identity(object)) ??
      this.byIdentity.get(identity({ ...object, metadata: { ...object.metadata, namespace: '' } }));
    if (!list) return undefined;
    if (list.length > 1 && renderedBy !== undefined) {
      return list.find((d) => d.ref.file.startsWith(`${renderedBy}/`)) ?? list.find((d) => !d.ref.file.includes('/overlays/')) ?? list[0];
    }
    return list[0];
  }

  /** 1-based line of a field in a source document, or of the deepest part of the path that exists there. */
  lineOf(source: SourceDocument, path: FieldPath): number | undefined {
    let node: unknown = source.doc.contents;
    let line = positionLine(node, source.lines);
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && item.key.value === part);
        if (!pair) break;
        line = positionLine(pair.key, source.lines) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number' && part < node.items.length) {
        node = node.items[part];
        line = positionLine(node, source.lines) ?? line;
      } else break;
    }
    return line;
  }

  private readFile(path: string): void {
    const file = relative(join(this.root, '..'), path).split(sep).join('/');
    const lines = new LineCounter();
    const text = readFileSync(path, 'utf8');
    const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
    const list = Array.isArray(docs) ? docs : [];
    list.forEach((doc, index) => {
      const error = doc.errors[0];
      if (error) {
        this.syntaxProblems.push({ file, line: lines.linePos(error.pos[0]).line, message: error.message.split('\n')[0] ?? error.message });
        return;
      }
      const object = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (object === null || typeof object !== 'object' || Array.isArray(object)) return;
      const entry: SourceDocument = { ref: { file, document: index }, object: object as KubeObject, doc, lines };
      this.documents.push(entry);
      if (kindOf(entry.object) && nameOf(entry.object)) {
        const key = identity(entry.object);
        this.byIdentity.set(key, [...(this.byIdentity.get(key) ?? []), entry]);
      }
    });
  }
}

function identity(object: KubeObject): string {
  return `${kindOf(object)}/${namespaceOf(object)}/${nameOf(object)}`;
}

function positionLine(node: unknown, lines: LineCounter): number | undefined {
  const range = (node as Node | undefined)?.range;
  return range ? lines.linePos(range[0]).line : undefined;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFiles(path));
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

/** For messages: `Kind ns/name` of a source document. */
export function describeSource(source: SourceDocument): string {
  return describeObject(source.object);
}
