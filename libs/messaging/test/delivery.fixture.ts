import pino from 'pino';
import type { Delivery } from '../src/middleware/middleware';

/** A delivery for middleware unit tests (no broker needed: middleware only sees data). */
export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    subject: 'orders.created.0b1e8d4c-6f0a-4c1d-9a52-3f4a1d2e5b6c',
    subjectTemplate: 'orders.created.*',
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
