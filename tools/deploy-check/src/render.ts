import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { renderKustomization } from './kustomize-lite';
import { isRecord, type KubeObject } from './model';

/** Which renderer produced a kustomization's objects. */
export type RendererName = 'kubectl' | 'built-in';

export interface Rendered {
  readonly objects: KubeObject[];
  readonly renderer: RendererName;
}

/** Rendering failed: kubectl's message, or the built-in renderer's. */
export class RenderError extends Error {
  readonly code = 'DEPLOY_CHECK_RENDER';
}

/**
 * Renders a kustomization with `kubectl kustomize` when kubectl is on PATH (or at
 * `kubectl`), else with the built-in renderer.
 */
export function render(directory: string, options: { renderer?: RendererName | 'auto'; kubectl?: string } = {}): Rendered {
  const wanted = options.renderer ?? 'auto';
  const kubectl = options.kubectl ?? 'kubectl';
  if (wanted === 'kubectl' || (wanted === 'auto' && hasKubectl(kubectl))) {
    const result = spawnSync(kubectl, ['kustomize', directory], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.error) throw new RenderError(`kubectl kustomize ${directory}: ${result.error.message}`);
    if (result.status !== 0) throw new RenderError(`kubectl kustomize ${directory}: ${result.stderr.trim()}`);
    const objects = parseAllDocuments(result.stdout)
      .map((doc) => doc.toJS() as unknown)
      .filter((value): value is KubeObject => isRecord(value));
    return { objects, renderer: 'kubectl' };
  }
  try {
    return { objects: renderKustomization(directory), renderer: 'built-in' };
  } catch (error) {
    throw new RenderError((error as Error).message);
  }
}

/** Whether `kubectl` runs here (its client version answers). */
export function hasKubectl(kubectl = 'kubectl'): boolean {
  const result = spawnSync(kubectl, ['version', '--client'], { encoding: 'utf8' });
  return !result.error && result.status === 0;
}
