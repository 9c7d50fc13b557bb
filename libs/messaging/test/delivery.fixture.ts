import pino from 'pino';
import type { Delivery } from '../src/middleware/middleware';

/** A delivery for middleware unit tests (no broker needed: middleware only sees data). */
export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    subject: 'orders.created',
    stream: 'ORDERS',
    consumer: 'fulfilment',
    streamSequence: 7,
    deliveryCount: 1,
    data: new TextEncoder().encode('{}'),
    signal: new AbortController().signal,
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
}
