import { context, propagation, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Middleware } from './middleware';

const tracer = () => trace.getTracer('@tandem/messaging');

/** W3C trace context (and baggage) in NATS headers. */
export const natsHeaderGetter = {
  keys: (carrier: MsgHdrs | undefined): string[] => (carrier ? [...carrier.keys()] : []),
  get: (carrier: MsgHdrs | undefined, key: string): string | undefined => carrier?.get(key) || undefined,
};
export const natsHeaderSetter = {
  set: (carrier: MsgHdrs, key: string, value: string): void => carrier.set(key, value),
};

/** The context carried by a message's headers (the producer's span). */
export function extractContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(context.active(), headers, natsHeaderGetter);
}

/**
 * A CONSUMER span `<subject> process` per delivery, a child of the producer's span from the
 * message headers, so one order is one trace (OpenTelemetry messaging conventions:
 * `messaging.system=nats`, destination, message id, delivery count). The handler runs
 * inside it, so its logs and outgoing calls join the trace.
 */
export function tracing(): Middleware {
  return (next) => async (delivery) => {
    const parent = extractContext(delivery.headers);
    const span = tracer().startSpan(
      `${delivery.subject} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': delivery.subject,
          'messaging.consumer.group.name': delivery.consumer,
          'messaging.nats.stream': delivery.stream,
          'messaging.nats.stream_sequence': delivery.streamSequence,
          'messaging.nats.delivery_count': delivery.deliveryCount,
          ...(delivery.msgId ? { 'messaging.message.id': delivery.msgId } : {}),
        },
      },
      parent,
    );
    try {
      const outcome = await context.with(trace.setSpan(parent, span), () => next(delivery));
      span.setAttribute('tandem.outcome', outcome.action);
      if (outcome.action !== 'ack')
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.action === 'nak' ? String(outcome.error) : outcome.reason });
      return outcome;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  };
}
