import { jetstreamManager } from '@nats-io/jetstream';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { DeadLetterHeaders, publishDeadLetter, type MessageHandler } from './consumer-runner.component';
import { NotConnectedError } from './errors';
import type { EventType } from './event-codec';
import type { NatsConnectionComponent } from './nats-connection.component';

/**
 * The server's MAX_DELIVERIES advisory (`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>`,
 * type `io.nats.jetstream.advisory.v1.max_deliver`): a message reached the consumer's
 * `max_deliver` without being acked or terminated. The server publishes it once, to whoever
 * listens then; a stream keeps it (contracts' `maxDeliveriesStream`).
 */
export const MaxDeliveriesAdvisory = Type.Object({
  stream: Type.String({ minLength: 1 }),
  consumer: Type.String({ minLength: 1 }),
  stream_seq: Type.Integer({ minimum: 1 }),
  deliveries: Type.Integer({ minimum: 0 }),
});

/**
 * The event type the runner decodes advisories with. Anything is accepted here and checked by
 * the handler: a malformed advisory is the server's (there is no message of ours to
 * dead-letter), and sending it to `dlq.` + an advisory subject would be refused for ever.
 */
export const maxDeliveriesEvent: EventType = {
  subject: '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*.*',
  schema: Type.Unknown(),
};

const checkAdvisory = Compile(MaxDeliveriesAdvisory);

/**
 * Turns a MAX_DELIVERIES advisory into the dead letter of the message it names: reads the
 * message from its stream by sequence (from the leader) and publishes it with the
 * dead-letter headers, under the same de-duplication id the runner uses, after looking for
 * its dead letter in the dead-letter stream — so a message the runner dead-lettered itself
 * (its publish stored, its answer lost) is not written twice, even past the window.
 * Throws while the dead letter cannot be written (the runner naks and tries again with
 * backoff; the advisory consumer has no delivery limit): nothing is dropped because the DLQ
 * refused once. A message its stream no longer holds (removed by age or limits) is logged
 * and the advisory acked: there is nothing left to keep.
 */
export function deadLetterFromAdvisory(
  connection: NatsConnectionComponent,
  options: {
    /** The stream dead letters go to: looked at first, so a message dead-lettered already (beyond its de-duplication window) is not written twice. */
    readonly deadLetterStream: string;
    readonly deadLetterPrefix?: string;
  },
): MessageHandler<unknown> {
  const prefix = options.deadLetterPrefix ?? 'dlq.';
  return async (payload, context) => {
    if (!checkAdvisory.Check(payload)) {
      const problems = checkAdvisory.Errors(payload).map((e) => `${e.instancePath || '/'}: ${e.message}`);
      context.logger.error({ problems, advisory: payload }, 'malformed MAX_DELIVERIES advisory ignored');
      return;
    }
    const advisory = payload;
    const nc = connection.connection();
    if (!nc) throw new NotConnectedError();
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const stored = await jsm.streams.getMessage(advisory.stream, { seq: advisory.stream_seq });
    if (!stored) {
      context.logger.error(
        { stream: advisory.stream, seq: advisory.stream_seq, consumer: advisory.consumer },
        'message reached max_deliver but its stream no longer holds it: nothing to dead-letter',
      );
      return;
    }
    const existing = await jsm.streams.getMessage(options.deadLetterStream, { last_by_subj: `${prefix}${stored.subject}` });
    if (
      existing?.header?.get(DeadLetterHeaders.originalStream) === advisory.stream &&
      existing.header.get(DeadLetterHeaders.originalSequence) === String(advisory.stream_seq)
    ) {
      context.logger.info(
        { stream: advisory.stream, seq: advisory.stream_seq },
        'message reached max_deliver but is dead-lettered already',
      );
      return;
    }
    const msgId = stored.header?.get('Nats-Msg-Id');
    await publishDeadLetter(
      nc,
      {
        subject: stored.subject,
        stream: advisory.stream,
        sequence: advisory.stream_seq,
        deliveryCount: advisory.deliveries,
        consumer: advisory.consumer,
        data: stored.data,
        ...(msgId ? { msgId } : {}),
        reason: `reached max_deliver (${advisory.deliveries} deliveries) without being settled: the last delivery failed, timed out or its process died (its error, if any, is in the consumer's log)`,
      },
      prefix,
    );
    context.logger.warn(
      { stream: advisory.stream, seq: advisory.stream_seq, consumer: advisory.consumer, deliveries: advisory.deliveries },
      'message dead-lettered from the MAX_DELIVERIES advisory',
    );
  };
}
