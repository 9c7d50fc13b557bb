import { backoffDelay, delay, type BackoffPolicy } from '@tandem/runtime';
import { isBrokerUnavailable } from '../errors';
import type { Middleware } from './middleware';

/** How a handler's broker failure is waited out: the connection's state, polled. */
export interface BrokerState {
  /** True while the NATS connection is up. */
  connected(): boolean;
  /** Aborted when the consumer stops taking messages: a wait then ends. */
  stopping?(): AbortSignal;
}

const POLL_MS = 100;

/**
 * A broker outage does not count as a failed delivery (SPEC §4): when the handler fails
 * because NATS is unavailable (not connected, no answer, no responders — not a refused or
 * invalid request), the same delivery is run again once the connection is back (at once
 * while it is down; with backoff while it is up and still failing, as during a leader
 * election). Only when the delivery's deadline or a stop ends the wait does the failure go on
 * to `retry` (nak) like any other. While NATS is away nothing reaches the server, so the
 * message's ack_wait keeps running: an outage longer than what is left of it (at least three
 * quarters of ack_wait, with the runner's keep-alives) lets the server redeliver, and this
 * run becomes an idempotent duplicate of that one.
 */
export function waitForBroker(broker: BrokerState, policy: BackoffPolicy): Middleware {
  return (next) => async (delivery) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await next(delivery);
      } catch (error) {
        const stopping = broker.stopping?.();
        const signal = stopping ? AbortSignal.any([delivery.signal, stopping]) : delivery.signal;
        if (!isBrokerUnavailable(error) || signal.aborted) throw error;
        const down = !broker.connected();
        if (attempt === 0) delivery.logger.warn({ err: error }, 'handler failed: NATS unavailable; running it again when NATS is back');
        try {
          if (down) while (!broker.connected()) await delay(POLL_MS, signal);
          else await delay(backoffDelay(attempt, policy), signal);
        } catch {
          throw error;
        }
      }
    }
  };
}
