import type { MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** One delivery of one message, as the processing pipeline sees it. */
export interface Delivery {
  /** The message's own subject (`orders.created.<id>`): for span attributes and dead letters only. */
  readonly subject: string;
  /**
   * The subject's template, the event type's subject (`orders.created.*`): what span names,
   * metric labels and log fields carry, so that one order is not one label value.
   */
  readonly subjectTemplate: string;
  readonly stream: string;
  readonly consumer: string;
  readonly streamSequence: number;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  readonly msgId?: string;
  readonly headers?: MsgHdrs;
  readonly data: Uint8Array;
  /** Aborted at the per-message deadline or when a stop runs out of time. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** What to tell the server about a delivery. The runner maps it to ack / nak(delay) / DLQ + term in one place. */
export type Outcome =
  | { readonly action: 'ack'; readonly skipped?: boolean }
  | { readonly action: 'nak'; readonly delayMs: number; readonly error: unknown }
  | { readonly action: 'dead-letter'; readonly reason: string };

export type Processor = (delivery: Delivery) => Promise<Outcome>;

/** Wraps a processor (watermill style): cross-cutting behaviour, one file each. */
export type Middleware = (next: Processor) => Processor;

/** Applies middleware so that the first in the list is the outermost. */
export function chain(middleware: readonly Middleware[], processor: Processor): Processor {
  return middleware.reduceRight((next, m) => m(next), processor);
}
