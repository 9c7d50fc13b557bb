import { isMap, isScalar, isSeq, type YAMLMap } from 'yaml';
import { ManifestShapeError } from './canary-errors';
import { SUBSETS, type Subset, type Weights } from './canary-weights';
import { describe, parseManifest } from './manifest-document';

/** The VirtualService the canary edits, and the route inside it whose weights are the canary. */
export const VIRTUAL_SERVICE_NAME = 'order';
export const WEIGHTED_ROUTE_NAME = 'weighted';

/** The weighted route of the order VirtualService, as read from one file's text. */
export interface OrderRoute {
  /** The file name used in messages. */
  readonly file: string;
  /** The text it was read from; {@link withWeights} edits this text. */
  readonly text: string;
  /** `metadata.name` (always `order`). */
  readonly name: string;
  /** The one host both destinations route to. */
  readonly host: string;
  readonly weights: Weights;
  /** Field path of each destination's subset, e.g. `spec.http[1].route[0].destination.subset`. */
  readonly subsetPaths: Readonly<Record<Subset, string>>;
  /** Where each weight scalar's source text starts and ends in {@link text}. */
  readonly weightSpans: Readonly<Record<Subset, readonly [number, number]>>;
  /** The same for every other route that splits between v1 and v2 (kept equal to the weighted route). */
  readonly followerSpans: ReadonlyArray<Readonly<Record<Subset, readonly [number, number]>>>;
}

/**
 * Reads and validates the weighted route of the order VirtualService: a route named
 * `weighted` with exactly two destinations, subsets v1 and v2 once each, one host, and
 * integer weights 0..100 that sum to 100; every other route that splits between v1 and v2
 * must carry the same weights (they move together). Throws a ManifestShapeError naming the
 * file, the field path and why for anything else; routes to one destination are not looked at.
 */
export function readOrderRoute(text: string, file: string): OrderRoute {
  const { root } = parseManifest(text, file, { group: 'networking.istio.io', kind: 'VirtualService' });
  const fail: (path: string, reason: string) => never = (path, reason) => {
    throw new ManifestShapeError(file, path, reason);
  };

  const name = root.getIn(['metadata', 'name']);
  if (name !== VIRTUAL_SERVICE_NAME)
    fail('metadata.name', `expected "${VIRTUAL_SERVICE_NAME}" (the VirtualService the canary edits), got ${describe(name)}`);
  const http = root.getIn(['spec', 'http'], true);
  if (!isSeq(http)) return fail('spec.http', `expected a list of HTTP routes, got ${describe(http)}`);

  const weighted = http.items.flatMap((item, i) =>
    isMap(item) && item.get('name') === WEIGHTED_ROUTE_NAME ? [{ item, at: `spec.http[${i}]` }] : [],
  );
  if (weighted.length === 0) fail('spec.http', `no route named "${WEIGHTED_ROUTE_NAME}" (the route whose weights are the canary)`);
  if (weighted.length > 1)
    fail(
      'spec.http',
      `${weighted.length} routes are named "${WEIGHTED_ROUTE_NAME}" (${weighted.map((w) => w.at).join(', ')}); expected one`,
    );
  const primary = readSplit(weighted[0].item, weighted[0].at, text, fail);
  // Every other route that splits between the subsets (the event streams' route, say) moves with it.
  const followers = http.items.flatMap((item, i) => {
    const at = `spec.http[${i}]`;
    if (!isMap(item) || item.get('name') === WEIGHTED_ROUTE_NAME) return [];
    const destinations = item.get('route', true);
    if (!isSeq(destinations) || destinations.items.length < 2) return [];
    const split = readSplit(item, at, text, fail);
    if (split.host !== primary.host)
      fail(`${at}.route`, `routes to "${split.host}", but the "${WEIGHTED_ROUTE_NAME}" route to "${primary.host}"`);
    if (SUBSETS.some((s) => split.weights[s] !== primary.weights[s])) {
      fail(
        `${at}.route`,
        `splits v1 ${split.weights.v1} / v2 ${split.weights.v2}, but the "${WEIGHTED_ROUTE_NAME}" route v1 ${primary.weights.v1} / v2 ${primary.weights.v2}: ` +
          'every route that splits between the subsets carries the canary weights (set them equal by hand)',
      );
    }
    return [split];
  });
  return {
    file,
    text,
    name: VIRTUAL_SERVICE_NAME,
    host: primary.host,
    weights: primary.weights,
    subsetPaths: primary.subsetPaths,
    weightSpans: primary.weightSpans,
    followerSpans: followers.map((f) => f.weightSpans),
  };
}

interface Split {
  readonly host: string;
  readonly weights: Weights;
  readonly subsetPaths: Readonly<Record<Subset, string>>;
  readonly weightSpans: Readonly<Record<Subset, readonly [number, number]>>;
}

/** A route with exactly two destinations, subsets v1 and v2 once each, one host, integer weights summing to 100. */
function readSplit(route: YAMLMap, at: string, text: string, fail: (path: string, reason: string) => never): Split {
  const destinations = route.get('route', true);
  if (!isSeq(destinations)) return fail(`${at}.route`, `expected a list of destinations, got ${describe(destinations)}`);
  if (destinations.items.length !== 2) {
    fail(`${at}.route`, `has ${destinations.items.length} destinations, expected exactly 2 (subsets ${SUBSETS.join(' and ')})`);
  }

  let host: { value: string; path: string } | undefined;
  const found: Partial<Record<Subset, { path: string; weight: number; span: readonly [number, number] }>> = {};
  for (const [j, entry] of destinations.items.entries()) {
    const entryPath = `${at}.route[${j}]`;
    if (!isMap(entry)) return fail(entryPath, `expected a destination mapping, got ${describe(entry)}`);
    const destination = entry.get('destination', true);
    if (!isMap(destination))
      return fail(`${entryPath}.destination`, `expected a mapping with host and subset, got ${describe(destination)}`);

    const subsetPath = `${entryPath}.destination.subset`;
    const subset = destination.get('subset');
    if (!isSubset(subset)) return fail(subsetPath, `unknown subset ${describe(subset)} (expected ${SUBSETS.join(' or ')})`);
    const previous = found[subset];
    if (previous) fail(subsetPath, `duplicate subset "${subset}" (also at ${previous.path})`);

    const hostPath = `${entryPath}.destination.host`;
    const entryHost = destination.get('host');
    if (typeof entryHost !== 'string' || entryHost === '') return fail(hostPath, `expected a host name, got ${describe(entryHost)}`);
    if (host && host.value !== entryHost) fail(hostPath, `host "${entryHost}" differs from "${host.value}" at ${host.path}`);
    host ??= { value: entryHost, path: hostPath };

    const weight = entry.get('weight', true);
    const source = isScalar(weight) && weight.range ? text.slice(weight.range[0], weight.range[1]) : undefined;
    // The source text, not just the parsed value: "1.0", "0x5A" and "90" (quoted) are refused too.
    if (!isScalar(weight) || !weight.range || typeof weight.value !== 'number' || !/^\d{1,3}$/.test(source ?? '') || weight.value > 100) {
      return fail(`${entryPath}.weight`, `expected an integer 0..100, got ${source === undefined ? describe(weight) : source}`);
    }
    found[subset] = { path: subsetPath, weight: weight.value, span: [weight.range[0], weight.range[1]] };
  }

  const { v1, v2 } = found;
  // Two destinations, each a known subset, no duplicates: both are there. The check is for the compiler.
  if (!v1 || !v2 || !host) return fail(`${at}.route`, `expected one destination for each of ${SUBSETS.join(' and ')}`);
  if (v1.weight + v2.weight !== 100)
    fail(`${at}.route`, `weights add up to ${v1.weight + v2.weight} (v1 ${v1.weight} + v2 ${v2.weight}), expected 100`);
  return {
    host: host.value,
    weights: { v1: v1.weight, v2: v2.weight },
    subsetPaths: { v1: v1.path, v2: v2.path },
    weightSpans: { v1: v1.span, v2: v2.span },
  };
}

function isSubset(value: unknown): value is Subset {
  return SUBSETS.includes(value as Subset);
}

/**
 * The file's text with the weight scalars of every split route replaced and every other byte (comments,
 * layout, other routes) as it was. yaml's `doc.toString()` would re-render the whole
 * document, so the edit splices the scalars' source ranges instead.
 */
export function withWeights(route: OrderRoute, weights: Weights): string {
  if (weights.v1 + weights.v2 !== 100) throw new RangeError(`weights must add up to 100, got v1 ${weights.v1} + v2 ${weights.v2}`);
  const edits = [route.weightSpans, ...route.followerSpans]
    .flatMap((spans) => SUBSETS.map((s) => ({ span: spans[s], value: String(weights[s]) })))
    .sort((a, b) => b.span[0] - a.span[0]);
  let text = route.text;
  for (const { span, value } of edits) text = text.slice(0, span[0]) + value + text.slice(span[1]);
  return text;
}
