import type { CanaryCommand } from './canary-args';

/** The two subsets the canary moves traffic between. */
export const SUBSETS = ['v1', 'v2'] as const;
export type Subset = (typeof SUBSETS)[number];

/** Percent of the weighted route's traffic per subset; always sums to 100. */
export type Weights = Readonly<Record<Subset, number>>;

/** The weights a changing command asks for; `status` changes nothing and has none. */
export function targetWeights(command: Exclude<CanaryCommand, { kind: 'status' }>): Weights {
  switch (command.kind) {
    case 'set':
      return { v1: 100 - command.v2, v2: command.v2 };
    case 'promote':
      return { v1: 0, v2: 100 };
    case 'abort':
      return { v1: 100, v2: 0 };
  }
}

/** `order: v1 90%, v2 10%  (file)` */
export function formatStatus(name: string, weights: Weights, file: string): string {
  return `${name}: ${SUBSETS.map((s) => `${s} ${weights[s]}%`).join(', ')}  (${file})`;
}

/**
 * One line in the style of Flagger's events:
 * `order: canary weight v1 90% → 70%, v2 10% → 30%  (file)`, or, when nothing moves,
 * `order: canary weight unchanged, v1 90%, v2 10%  (file)`.
 */
export function formatChange(name: string, before: Weights, after: Weights, file: string): string {
  if (SUBSETS.every((s) => before[s] === after[s])) {
    return `${name}: canary weight unchanged, ${SUBSETS.map((s) => `${s} ${after[s]}%`).join(', ')}  (${file})`;
  }
  return `${name}: canary weight ${SUBSETS.map((s) => `${s} ${before[s]}% → ${after[s]}%`).join(', ')}  (${file})`;
}
