import { AckPolicy, DeliverPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/**
 * How many messages of `stream` match `filter` (a subject or a template such as
 * `orders.created.*`): the pending count of a throwaway consumer. Per-order subjects make
 * `streams.info(…, { subjects_filter })` list one entry per order; this asks for one number.
 */
export async function storedMessages(jsm: JetStreamManager, stream: string, filter: string): Promise<number> {
  const consumer = await jsm.consumers.add(stream, {
    filter_subject: filter,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: nanos(10_000),
  });
  try {
    return consumer.num_pending;
  } finally {
    await jsm.consumers.delete(stream, consumer.name).catch(() => undefined);
  }
}
