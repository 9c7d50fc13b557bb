import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateOrderRequest,
  IdempotencyHeaders,
  OrderEventsHeaders,
  OrderEventStreamResponse,
  OrderIdParams,
  OrderResponse,
  Problem,
  Problems,
} from '@tandem/contracts';
import { sendProblem, type EventStreamHub } from '@tandem/http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { isEventStream, orderUnavailable, routingHeaders, type OrderService, type OrderServiceResponse } from '../order-service';

export interface GatewayOrdersRoutesOptions {
  readonly orders: OrderService;
  /** The gateway's open event streams (bounded in total and per client). */
  readonly streams: Pick<EventStreamHub, 'admit' | 'closing' | 'handOff'>;
}

/**
 * The public order API (SPEC §3). Requests are validated here with the same schemas the
 * order service uses, then forwarded through the {@link OrderService} port (HTTP, or in
 * process); the order service's status, body and headers (`Location`, `x-order-version`,
 * `Retry-After`, …) come back unchanged.
 */
export async function ordersRoutes(fastify: FastifyInstance, options: GatewayOrdersRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const relay = (reply: FastifyReply, response: OrderServiceResponse) => {
    // A 5xx that is not the order service's own problem body comes from something between
    // (in the mesh: Envoy's text "upstream connect error …", naming pod addresses); the
    // client gets the gateway's own 503 problem instead, never that text.
    if (response.status >= 500 && !(response.headers['content-type'] ?? '').startsWith('application/problem+json')) {
      throw orderUnavailable(`answered ${response.status} without a problem body`);
    }
    return reply.code(response.status).headers(response.headers).send(response.body);
  };

  app.post(
    '/orders',
    {
      schema: {
        summary: 'Create an order',
        description: 'Stored and announced on orders.created before 201. Retrying with the same Idempotency-Key returns the same order.',
        body: CreateOrderRequest,
        headers: IdempotencyHeaders,
        response: { 201: OrderResponse, 400: Problem, 409: Problem, 413: Problem, 429: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      return relay(
        reply,
        await options.orders.create(request.body, key, { requestId: request.id, routing: routingHeaders(request.headers) }),
      );
    },
  );

  app.get(
    '/orders/:id',
    {
      schema: {
        summary: 'Read an order',
        params: OrderIdParams,
        response: { 200: OrderResponse, 404: Problem, 503: Problem },
      },
    },
    async (request, reply) =>
      relay(
        reply,
        await options.orders.get(request.params.id, {
          requestId: request.id,
          routing: routingHeaders(request.headers),
        }),
      ),
  );

  app.get(
    '/orders/:id/events',
    {
      schema: {
        summary: 'Follow an order',
        description:
          'Server-sent events: the order now, then each status change; ends after fulfilled. Reconnect with Last-Event-ID to resume.',
        params: OrderIdParams,
        headers: OrderEventsHeaders,
        response: {
          200: OrderEventStreamResponse,
          204: { description: 'Nothing after the final status (an EventSource stops reconnecting)' },
          404: Problem,
          429: Problem,
          503: Problem,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const lastEventId = request.headers['last-event-id'];
      if (options.streams.closing) return options.streams.handOff(reply);
      // The place is held while order is asked, so a burst from one client cannot exceed its bound.
      const admission = options.streams.admit(request.ip);
      let response: Awaited<ReturnType<OrderService['events']>>;
      try {
        response = await options.orders.events(id, lastEventId, { requestId: request.id, routing: routingHeaders(request.headers) });
      } catch (error) {
        admission.cancel();
        throw error;
      }
      if (!isEventStream(response)) {
        admission.cancel();
        return relay(reply, response);
      }
      try {
        reply.headers(response.headers);
        admission.open(request, reply).relay(response.stream, () => response.cancel());
      } catch (error) {
        response.cancel();
        throw error;
      }
      return reply;
    },
  );

  // Known paths with other methods are 405 with Allow, not 404.
  for (const [url, allow] of [
    ['/orders', 'POST'],
    ['/orders/:id', 'GET'],
    ['/orders/:id/events', 'GET'],
  ] as const) {
    app.route({
      method: ['PUT', 'PATCH', 'DELETE', ...(allow === 'POST' ? (['GET'] as const) : (['POST'] as const))],
      url,
      schema: { hide: true },
      handler: async (request, reply) =>
        sendProblem(
          reply.header('allow', allow),
          Problems.TANDEM_ERR_METHOD_NOT_ALLOWED,
          `${request.method} is not allowed on ${url}; use ${allow}`,
        ),
    });
  }
}
