import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CreateOrderRequest, IdempotencyHeaders, OrderIdParams, OrderResponse, Problem, Problems } from '@tandem/contracts';
import { sendProblem } from '@tandem/http';
import { createOrder, type OrderIdSource, type OrderLog } from '@tandem/orders';
import type { FastifyInstance } from 'fastify';
import { orderEventsRoutes, type OrderEventsRoutesOptions } from './order-events.routes';

export interface OrdersRoutesOptions {
  /** Where orders live: their events in JetStream. */
  readonly log: OrderLog;
  /** Names the order of an Idempotency-Key (keyed by ORDER_ID_SECRET). */
  readonly orderIds: OrderIdSource;
  /** SERVICE_VERSION: stamped on new orders and on every response (`x-order-version`). */
  readonly version: string;
  /** What `GET /orders/:id/events` needs; without it the route is not served. */
  readonly events?: Omit<OrderEventsRoutesOptions, 'log'>;
}

/** The order service's API: create (one write, idempotent) and read orders (from the stream). */
export async function ordersRoutes(fastify: FastifyInstance, options: OrdersRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-order-version', options.version);
    done(null, payload);
  });
  if (options.events) await app.register(orderEventsRoutes, { log: options.log, ...options.events });

  app.post(
    '/orders',
    {
      schema: {
        body: CreateOrderRequest,
        headers: IdempotencyHeaders,
        response: { 201: OrderResponse, 400: Problem, 409: Problem, 503: Problem },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const { order, created } = await createOrder(
        { log: options.log, orderIds: options.orderIds },
        {
          request: request.body,
          ...(key === undefined ? {} : { idempotencyKey: key }),
          version: options.version,
          now: new Date(),
        },
      );
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(201).header('location', `/orders/${order.id}`).send(order);
    },
  );

  app.get('/orders/:id', { schema: { params: OrderIdParams, response: { 200: OrderResponse, 404: Problem } } }, async (request, reply) => {
    const { id } = request.params;
    const order = await options.log.get(id);
    if (!order) return sendProblem(reply, Problems.TANDEM_ERR_NOT_FOUND, `order ${id} does not exist`);
    return order;
  });
}
