import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as far as these tests look at it. */
export interface KubeObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: Record<string, unknown>;
  readonly file: string;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly ports?: ReadonlyArray<{ readonly name?: string; readonly containerPort: number }>;
}

export interface Workload {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly containers: readonly Container[];
  readonly runAsUser: number | undefined;
}

/** Every object in the YAML files of `dirs` (relative to `root`), not rendered by kustomize. */
export function readObjects(root: string, dirs: readonly string[]): KubeObject[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .flatMap((f) =>
        parseAllDocuments(readFileSync(join(root, dir, f), 'utf8'))
          .map((d) => d.toJS() as Omit<KubeObject, 'file'> | null)
          .filter((o): o is Omit<KubeObject, 'file'> => !!o && typeof o.kind === 'string')
          .map((o) => ({ ...o, file: `${dir}/${f}` })),
      ),
  );
}

/** Deployments and StatefulSets with their pod template's containers. */
export function workloads(objects: readonly KubeObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'DaemonSet')
    .map((o) => {
      const pod = (o.spec?.['template'] as { spec?: { containers?: Container[]; securityContext?: { runAsUser?: number } } } | undefined)
        ?.spec;
      return {
        kind: o.kind,
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        containers: pod?.containers ?? [],
        runAsUser: pod?.securityContext?.runAsUser,
      };
    });
}
