import { isMap, isSeq } from 'yaml';
import { ManifestShapeError, UndefinedSubsetError } from './canary-errors';
import { SUBSETS } from './canary-weights';
import { describe, parseManifest } from './manifest-document';
import type { OrderRoute } from './order-route';

/**
 * The subset names a DestinationRule defines (`spec.subsets[].name`), in file order.
 * Throws a ManifestShapeError naming the file and field when it is not a DestinationRule
 * or a subset has no name.
 */
export function readDestinationRuleSubsets(text: string, file: string): readonly string[] {
  const { root } = parseManifest(text, file, { group: 'networking.istio.io', kind: 'DestinationRule' });
  const subsets = root.getIn(['spec', 'subsets'], true);
  if (subsets === undefined) return [];
  if (!isSeq(subsets)) throw new ManifestShapeError(file, 'spec.subsets', `expected a list of subsets, got ${describe(subsets)}`);
  return subsets.items.map((item, i) => {
    const name = isMap(item) ? item.get('name') : undefined;
    if (typeof name !== 'string' || name === '') {
      throw new ManifestShapeError(file, `spec.subsets[${i}].name`, `expected a subset name, got ${describe(name)}`);
    }
    return name;
  });
}

/** Throws an UndefinedSubsetError when the route names a subset the DestinationRule does not define. */
export function assertSubsetsDefined(route: OrderRoute, defined: readonly string[], destinationRuleFile: string): void {
  for (const subset of SUBSETS) {
    if (!defined.includes(subset))
      throw new UndefinedSubsetError(route.file, route.subsetPaths[subset], subset, destinationRuleFile, defined);
  }
}
