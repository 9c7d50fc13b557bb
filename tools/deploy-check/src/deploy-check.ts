import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { kustomizationFile } from './kustomize-lite';
import { asArray, describeObject, formatPath, isRecord, type Finding, type FieldPath, type KubeObject } from './model';
import { render, type RendererName } from './render';
import { RenderedSet } from './rule';
import { RULES } from './rules';
import { isApiObject, SchemaValidator } from './schema-validation';
import { SourceIndex, type SourceDocument } from './source-index';

export interface DeployCheckOptions {
  /** The repository root; `deploy/` under it is checked. */
  readonly root: string;
  readonly renderer?: RendererName | 'auto';
  /** Schema validation loads the CEL evaluator (an ES module) with import(); off only where that cannot run. */
  readonly schemas?: boolean;
}

export interface RenderSummary {
  readonly kustomization: string;
  readonly renderer?: RendererName;
  readonly objects: number;
}

export interface DeployCheckResult {
  readonly findings: Finding[];
  readonly renders: RenderSummary[];
  readonly files: number;
  readonly schemaChecked: number;
}

/**
 * deploy:check: parses every YAML file under `deploy/`, renders every top-level
 * kustomization (one not included by another), validates every API object against its
 * schema, and runs the cross-check rules on each render. Findings name file, line,
 * object, field and rule; a finding seen in several renders is reported once.
 */
export async function runDeployCheck(options: DeployCheckOptions): Promise<DeployCheckResult> {
  const root = resolve(options.root);
  const deployDir = join(root, 'deploy');
  if (!existsSync(deployDir)) throw new Error(`no deploy/ directory under ${root}`);
  const index = new SourceIndex(deployDir);
  const findings = new FindingList();
  for (const problem of index.syntaxProblems) {
    findings.add({
      rule: 'yaml-syntax',
      file: problem.file,
      line: problem.line,
      object: '(file)',
      field: '',
      message: problem.message,
      renderedBy: [],
    });
  }

  const renders: RenderSummary[] = [];
  const schemaTargets: { object: KubeObject; source?: SourceDocument; renderedBy?: string }[] = index.documents
    .filter((doc) => isApiObject(doc.object))
    .map((doc) => ({ object: doc.object, source: doc }));
  for (const directory of topLevelKustomizations(deployDir)) {
    const name = relative(root, directory).split(sep).join('/');
    let objects: KubeObject[];
    try {
      const rendered = render(directory, { renderer: options.renderer ?? 'auto' });
      objects = rendered.objects;
      renders.push({ kustomization: name, renderer: rendered.renderer, objects: objects.length });
    } catch (error) {
      renders.push({ kustomization: name, objects: 0 });
      findings.add({
        rule: 'render',
        file: `${name}/kustomization.yaml`,
        object: '(kustomization)',
        field: '',
        message: (error as Error).message,
        renderedBy: [name],
      });
      continue;
    }
    const set = new RenderedSet(objects);
    for (const rule of RULES) {
      for (const finding of rule.check(set)) findings.add(locate(index, finding.object, finding.path, rule.name, finding.message, name));
    }
    for (const object of objects) schemaTargets.push({ object, ...sourceOf(index, object, name), renderedBy: name });
  }

  let schemaChecked = 0;
  if (options.schemas !== false) {
    const validator = await SchemaValidator.create();
    for (const target of schemaTargets) {
      schemaChecked += 1;
      for (const problem of validator.validate(target.object)) {
        findings.add(locate(index, target.object, problem.path, problem.rule, problem.message, target.renderedBy, target.source));
      }
    }
  }
  return { findings: findings.list(), renders, files: new Set(index.documents.map((doc) => doc.ref.file)).size, schemaChecked };
}

function sourceOf(index: SourceIndex, object: KubeObject, renderedBy: string): { source?: SourceDocument } {
  const source = index.find(object, renderedBy);
  return source ? { source } : {};
}

function locate(
  index: SourceIndex,
  object: KubeObject,
  path: FieldPath,
  rule: string,
  message: string,
  renderedBy: string | undefined,
  /** The document the object is known to come from (a source file checked on its own). */
  known?: SourceDocument,
): Finding {
  const source = known ?? index.find(object, renderedBy);
  const line = source ? index.lineOf(source, path) : undefined;
  return {
    rule,
    file: source?.ref.file ?? (renderedBy ? `${renderedBy}/kustomization.yaml` : '(unknown file)'),
    ...(line === undefined ? {} : { line }),
    object: describeObject(object),
    field: formatPath(path),
    message,
    renderedBy: renderedBy ? [renderedBy] : [],
  };
}

/** Findings keyed by everything but the render, so one mistake in base is reported once. */
class FindingList {
  private readonly byKey = new Map<string, Finding>();

  add(finding: Finding): void {
    const key = [finding.rule, finding.file, finding.line, finding.object, finding.field, finding.message].join('\u0000');
    const existing = this.byKey.get(key);
    if (!existing) this.byKey.set(key, finding);
    else this.byKey.set(key, { ...existing, renderedBy: [...new Set([...existing.renderedBy, ...finding.renderedBy])] });
  }

  list(): Finding[] {
    return [...this.byKey.values()].sort(
      (a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0) || a.rule.localeCompare(b.rule),
    );
  }
}

/** Directories under `dir` with a kustomization that no other kustomization includes. */
export function topLevelKustomizations(dir: string): string[] {
  const all = directories(dir).filter((path) => kustomizationFile(path) !== undefined);
  const included = new Set<string>();
  for (const directory of all) {
    const spec = parse(readFileSync(kustomizationFile(directory) as string, 'utf8')) as unknown;
    for (const entry of asArray(isRecord(spec) ? spec['resources'] : undefined)) {
      if (typeof entry === 'string') included.add(resolve(directory, entry));
    }
  }
  return all.filter((directory) => !included.has(directory));
}

function directories(dir: string): string[] {
  const out = [dir];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...directories(path));
  }
  return out;
}

/** One finding as a line: `file:line: [rule] Kind ns/name field: message (rendered by …)`. */
export function formatFinding(finding: Finding): string {
  const where = finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`;
  const field = finding.field ? ` ${finding.field}` : '';
  const renders = finding.renderedBy.length > 0 ? `  (rendered by ${finding.renderedBy.join(', ')})` : '';
  return `${where}: [${finding.rule}] ${finding.object}${field}: ${finding.message}${renders}`;
}
