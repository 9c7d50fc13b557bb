import type { Component } from './component';
import { ComponentGraphError } from './errors';

/**
 * Orders components so that each comes after everything it depends on; ties keep the
 * order of registration. Throws {@link ComponentGraphError} on an unknown dependency or a cycle.
 */
export function topologicalOrder<T extends Pick<Component, 'name' | 'dependsOn'>>(components: readonly T[]): T[] {
  const byName = new Map(components.map((c) => [c.name, c]));
  for (const c of components) {
    for (const dep of c.dependsOn ?? []) {
      if (!byName.has(dep)) throw new ComponentGraphError(`component "${c.name}" depends on unknown component "${dep}"`);
    }
  }
  const result: T[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (c: T, path: string[]): void => {
    const s = state.get(c.name);
    if (s === 'done') return;
    if (s === 'visiting') throw new ComponentGraphError(`dependency cycle: ${[...path, c.name].join(' → ')}`);
    state.set(c.name, 'visiting');
    for (const dep of c.dependsOn ?? []) visit(byName.get(dep) as T, [...path, c.name]);
    state.set(c.name, 'done');
    result.push(c);
  };
  for (const c of components) visit(c, []);
  return result;
}
