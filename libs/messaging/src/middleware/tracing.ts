import { context, isSpanContextValid, propagation, SpanKind, SpanStatusCode, trace, TraceFlags, type Context } from '@opentelemetry/api';
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
 * Whether a span of our own is worth starting in `ctx`: yes when the trace there is recorded
 * (a recording span, or a sampled remote parent) or when there is no trace yet (the sampler
 * decides); no when an upstream service decided not to sample it. Then the work runs in that
 * context as it is — its trace id still reaches log lines and NATS headers — without building
 * a span nobody records (a sampler call, ids and attributes per message).
 */
export function isTraced(ctx: Context): boolean {
  const span = trace.getSpan(ctx);
  if (!span) return true;
  const parent = span.spanContext();
  if (!isSpanContextValid(parent)) return true;
  return span.isRecording() || (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

/**
 * A CONSUMER span `process <subject template>` per delivery, a child of the producer's span from the
 * message headers, so one order is one trace (OpenTelemetry messaging conventions:
 * `messaging.system=nats`, destination, message id, delivery count). The handler runs
 * inside it, so its logs and outgoing calls join the trace. Under an unsampled parent no span
 * is started ({@link isTraced}); the handler runs in the parent's context.
 */
export function tracing(): Middleware {
  return (next) => async (delivery) => {
    const parent = extractContext(delivery.headers);
    if (!isTraced(parent)) return context.with(parent, () => next(delivery));
    const span = tracer().startSpan(
      `process ${delivery.subjectTemplate}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': delivery.subject,
          'messaging.destination.template': delivery.subjectTemplate,
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
