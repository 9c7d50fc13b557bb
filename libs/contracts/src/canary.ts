import Type, { type Static } from 'typebox';

/**
 * The versions of the fulfilment worker a canary splits `orders.created` between, as the
 * order VirtualService splits HTTP between its subsets (docs/decisions/0018). v1 keeps the
 * durable `fulfilment`; v2 has `fulfilment-v2`.
 */
export const FulfilmentVersions = Object.freeze(['v1', 'v2'] as const);
export type FulfilmentVersion = (typeof FulfilmentVersions)[number];

/** A share in whole percent (0..100). */
const Percent = Type.Integer({ minimum: 0, maximum: 100 });

/**
 * The split of `orders.created` between the fulfilment versions, from the message after it
 * onwards: a message in stream ORDERS (subject {@link FulfilmentSplitSubject}) written by the
 * canary CLI, so that every version reads the same split for every order: the one stored last
 * before the order (docs/decisions/0018). `v1 + v2` must be 100.
 */
export const FulfilmentSplitV1 = Type.Object(
  {
    eventVersion: Type.Literal(1),
    weights: Type.Object({ v1: Percent, v2: Percent }, { additionalProperties: false }),
    setAt: Type.String({ format: 'date-time' }),
    /** Who moved it: the CLI writes `canary <command>` and the user it ran as. */
    setBy: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { $id: 'FulfilmentSplitV1', additionalProperties: false },
);
export type FulfilmentSplitV1 = Static<typeof FulfilmentSplitV1>;

/** Where the split is written: in ORDERS, so that it has a place in the orders' own order. */
export const FulfilmentSplitSubject = 'orders.canary.fulfilment';

/** The split's event type as it is written (the canary CLI validates against it). */
export const FulfilmentSplitEvent = Object.freeze({ subject: FulfilmentSplitSubject, schema: FulfilmentSplitV1 } as const);

/**
 * What every version reads of a split message: its weights, whatever else a newer writer
 * adds. Fixed for ever: v1 and v2 are different builds and must accept the same split
 * messages, or they would see different splits.
 */
export const FulfilmentSplitRead = Type.Object({ weights: Type.Object({ v1: Percent, v2: Percent }) });
export const FulfilmentSplitReadEvent = Object.freeze({ subject: FulfilmentSplitSubject, schema: FulfilmentSplitRead } as const);

/** The weights a split sets, or why it cannot be used (the shares must sum to 100). */
export function fulfilmentSplitWeights(split: Static<typeof FulfilmentSplitRead>): { v1: number; v2: number } | string {
  const { v1, v2 } = split.weights;
  return v1 + v2 === 100 ? { v1, v2 } : `weights v1 ${v1} + v2 ${v2} = ${v1 + v2}, not 100`;
}
