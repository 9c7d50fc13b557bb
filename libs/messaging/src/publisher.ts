import { jetstream, type PubAck } from '@nats-io/jetstream';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { backoffDelay, delay, type BackoffPolicy } from '@tandem/runtime';
import type { Static, TSchema } from 'typebox';
import {
  describePermissionViolation,
  EventNotStoredError,
  NotConnectedError,
  EventValidationError,
  permissionViolationOf,
  SubjectSequenceMismatchError,
  wrongLastSequenceOf,
} from './errors';
import { EventCodec, type EventType } from './event-codec';
import type { MessagingMetrics } from './middleware/metrics';
import { isTraced, natsHeaderSetter } from './middleware/tracing';
import type { NatsConnectionComponent } from './nats-connection.component';
import { matchesTemplate } from './subject-template';

export interface PublisherOptions {
  /** How long to wait for one PubAck. Default 5 s. */
  readonly ackTimeoutMs?: number;
  /** Attempts in all (first + retries) for a publish that got no PubAck. Default 3. */
  readonly attempts?: number;
  /** Waits between attempts. Default 100 ms, 200 ms, ×1.5. */
  readonly backoff?: BackoffPolicy;
  /** Count publishes here (`messaging_messages_published_total`). */
  readonly metrics?: MessagingMetrics;
}

export interface PublishOptions {
  /**
   * The concrete subject, when the event type's subject is a template (`orders.created.*` →
   * `orders.created.<id>`); it must match the template. Defaults to the event type's subject.
   */
  readonly subject?: string;
  /** Deduplication id (`Nats-Msg-Id`): the same id within the stream's window is stored once. */
  readonly msgId: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Store only if the subject's last message is at this stream sequence
   * (`Nats-Expected-Last-Subject-Sequence`); 0 means "nothing on this subject yet": create-if-
   * absent for as long as the stream keeps the subject's messages, not only within the
   * duplicate window. A refusal throws {@link SubjectSequenceMismatchError} and is not retried.
   */
  readonly expectLastSubjectSequence?: number;
}

const RETRY_BACKOFF: BackoffPolicy = { initialMs: 100, secondMs: 200, factor: 1.5, maxMs: 2_000, jitter: 0.2 };

/**
 * Publishes events to JetStream and resolves only once the server has stored them.
 * Validates the subject (one concrete subject of the event type's template) and the body
 * against the event's schema first ({@link EventValidationError}),
 * sets `Nats-Msg-Id`, awaits the PubAck with a timeout and retries with the same id
 * (so a retry never stores twice). A PRODUCER span `publish <template>` is started (unless
 * the active trace is unsampled upstream) and its context injected into the headers (W3C
 * `traceparent`), so the consumer's span continues the trace. When the event is not stored — not connected, no
 * stream, no PubAck after the last attempt — it throws {@link EventNotStoredError}.
 */
export class Publisher {
  private readonly codecs = new Map<string, EventCodec<TSchema>>();

  constructor(
    private readonly connection: NatsConnectionComponent,
    private readonly options: PublisherOptions = {},
  ) {}

  async publish<S extends TSchema>(event: EventType<S>, payload: Static<S>, options: PublishOptions): Promise<PubAck> {
    const codec = this.codec(event);
    const subject = options.subject ?? event.subject;
    if (!matchesTemplate(event.subject, subject)) {
      throw new EventValidationError(event.subject, [`subject "${subject}" is not one concrete subject of ${event.subject}`]);
    }
    const problems = codec.problems(payload);
    if (problems.length > 0) throw new EventValidationError(event.subject, problems);
    // No span of our own under an upstream decision not to sample: the active context is
    // propagated as it is.
    const span = isTraced(context.active())
      ? trace.getTracer('@tandem/messaging').startSpan(`publish ${event.subject}`, {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'send',
            'messaging.destination.name': subject,
            'messaging.destination.template': event.subject,
            'messaging.message.id': options.msgId,
          },
        })
      : undefined;
    try {
      const send = () => this.send(subject, codec.encode(payload), options);
      const ack = await (span ? context.with(trace.setSpan(context.active(), span), send) : send());
      span?.setAttribute('messaging.nats.stream_sequence', ack.seq);
      this.options.metrics?.published.inc({ subject: event.subject, result: ack.duplicate ? 'duplicate' : 'stored' });
      return ack;
    } catch (error) {
      const refused = error instanceof SubjectSequenceMismatchError;
      // A refused expectation is an answer, not a failure: the caller reads what is there.
      if (!refused) span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      span?.setAttribute('tandem.publish.result', refused ? 'sequence-mismatch' : 'failed');
      this.options.metrics?.published.inc({ subject: event.subject, result: refused ? 'sequence-mismatch' : 'failed' });
      throw error;
    } finally {
      span?.end();
    }
  }

  private async send(subject: string, data: Uint8Array, options: PublishOptions): Promise<PubAck> {
    const attempts = Math.max(1, this.options.attempts ?? 3);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await delay(backoffDelay(attempt - 1, this.options.backoff ?? RETRY_BACKOFF));
      const nc = this.connection.connection();
      if (!nc) {
        lastError = new NotConnectedError();
        continue;
      }
      const h = natsHeaders();
      for (const [key, value] of Object.entries(options.headers ?? {})) h.set(key, value);
      propagation.inject(context.active(), h, natsHeaderSetter);
      try {
        return await jetstream(nc).publish(subject, data, {
          msgID: options.msgId,
          timeout: this.options.ackTimeoutMs ?? 5_000,
          headers: h,
          ...(options.expectLastSubjectSequence === undefined
            ? {}
            : { expect: { lastSubjectSequence: options.expectLastSubjectSequence } }),
        });
      } catch (error) {
        const last = wrongLastSequenceOf(error);
        if (last !== undefined) throw new SubjectSequenceMismatchError(subject, options.expectLastSubjectSequence ?? 0, last, error);
        // The server refused the subject to this user: another attempt gets the same answer.
        const denied = permissionViolationOf(error);
        if (denied) throw new EventNotStoredError(subject, describePermissionViolation(denied), error);
        lastError = error;
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new EventNotStoredError(subject, `${reason} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, lastError);
  }

  private codec<S extends TSchema>(event: EventType<S>): EventCodec<S> {
    let codec = this.codecs.get(event.subject);
    if (!codec || codec.type.schema !== event.schema) {
      codec = new EventCodec(event as EventType<TSchema>);
      this.codecs.set(event.subject, codec);
    }
    return codec as unknown as EventCodec<S>;
  }
}
