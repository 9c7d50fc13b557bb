import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OrderEventsHeaders, OrderEventStreamResponse, OrderIdParams, Problem, Problems } from '@tandem/contracts';
import { isFinalStatus, statusRank, type Order, type OrderLog, type OrderStatus } from '@tandem/orders';
import { sendProblem, type EventStream, type EventStreamHub } from '@tandem/http';
import type { FastifyInstance } from 'fastify';
import type { ChangeHint, OrderChangeFeed } from '../status/order-change-feed';

export interface OrderEventsRoutesOptions {
  readonly log: Pick<OrderLog, 'latest'>;
  readonly changes: Pick<OrderChangeFeed, 'watch'>;
  readonly streams: Pick<EventStreamHub, 'admit' | 'closing' | 'handOff'>;
}

/**
 * After a message hint the order is read again; a message seen before JetStream stored it
 * (or a store that failed and will be retried) is looked for again after these delays. A new
 * stream's first read is followed by the last two.
 */
const RECHECK_AFTER_MS: readonly number[] = [50, 250, 1_000];
const FIRST_RECHECK_MS = 250;

/**
 * `GET /orders/:id/events` (SPEC §3): the order as it is now, then each status change, as
 * server-sent events named and identified by the status; the stream ends after the final one.
 * `Last-Event-ID` (a status) resumes: only later changes are sent; after the final one the
 * answer is 204, which tells an `EventSource` to stop reconnecting.
 *
 * The order is watched before it is read, so a change stored in between is not missed, and
 * every change is re-read from the stream's leader before it is announced; a read that fails
 * is retried with backoff while the client waits (docs/decisions/0014). A new stream while
 * shutting down is handed off (200 with only `retry:`).
 */
export async function orderEventsRoutes(fastify: FastifyInstance, options: OrderEventsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/orders/:id/events',
    {
      schema: {
        params: OrderIdParams,
        headers: OrderEventsHeaders,
        response: { 200: OrderEventStreamResponse, 204: { description: 'Nothing after the final status' }, 404: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const lastSeen: OrderStatus | undefined = request.headers['last-event-id'];
      if (lastSeen !== undefined && isFinalStatus(lastSeen)) return reply.code(204).send();
      if (options.streams.closing) return options.streams.handOff(reply);
      const admission = options.streams.admit();

      let sentRank = lastSeen === undefined ? -1 : statusRank(lastSeen);
      let stream: EventStream | undefined;
      let hinted = false;
      let reading = false;
      let again = false;
      let failures = 0;
      let recheck: NodeJS.Timeout | undefined;

      const announce = (order: Order): void => {
        if (!stream?.isOpen) return;
        const rank = statusRank(order.status);
        if (rank > sentRank) {
          sentRank = rank;
          stream.send({ id: order.status, event: order.status, data: JSON.stringify(order) });
        }
        if (isFinalStatus(order.status)) stream.end();
      };
      const schedule = (ms: number, attempt: number): void => {
        clearTimeout(recheck);
        recheck = setTimeout(() => void refresh(attempt), ms);
      };
      // One read at a time per stream; hints arriving meanwhile cause one more read after it.
      const refresh = async (attempt: number): Promise<void> => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          const order = await options.log.latest(id);
          failures = 0;
          if (order) announce(order);
          const delayMs = RECHECK_AFTER_MS[attempt];
          if (order && !isFinalStatus(order.status) && stream?.isOpen && delayMs !== undefined) schedule(delayMs, attempt + 1);
        } catch (error) {
          // JetStream did not answer (NATS away, a leader election): a hint may be used up, so
          // look again, backing off, for as long as the client waits.
          failures += 1;
          request.log.debug({ err: error, failures }, 'reading the order for its event stream failed; retrying');
          if (stream?.isOpen) schedule(Math.min(15_000, 250 * 2 ** failures), attempt);
        } finally {
          reading = false;
          if (again && stream?.isOpen) {
            again = false;
            void refresh(0);
          }
        }
      };
      const onHint = (hint: ChangeHint): void => {
        if (!stream) hinted = true;
        else void refresh(hint === 'message' ? 0 : RECHECK_AFTER_MS.length - 1);
      };

      let release: (() => void) | undefined;
      let order: Order | undefined;
      try {
        release = await options.changes.watch(id, onHint);
        order = await options.log.latest(id);
        if (!order) {
          release();
          admission.cancel();
          return sendProblem(reply, Problems.TANDEM_ERR_NOT_FOUND, `order ${id} does not exist`);
        }
        stream = admission.open(request, reply);
      } catch (error) {
        release?.();
        admission.cancel();
        throw error;
      }
      const releaseWatch = release;
      stream.onClose(() => {
        releaseWatch();
        clearTimeout(recheck);
      });
      // Resuming with nothing new yet: a comment, so the client (and any proxy) sees the stream open.
      if (statusRank(order.status) <= sentRank) stream.comment('resumed');
      announce(order);
      // A change stored while the read ran, or published on another server of a cluster before
      // this watch's interest reached it, is found by the rechecks (as after a hint).
      if (hinted) void refresh(0);
      else if (!isFinalStatus(order.status)) schedule(FIRST_RECHECK_MS, 2);
      return reply;
    },
  );
}
