import { CreateOrderRequest, OrderId, OrderResponse, Problem } from '@tandem/contracts';
import { createOrder, type OrderIdSource, type OrderLog } from '@tandem/orders';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
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

const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) });

/** The order service's API: create (one write, idempotent) and read orders (from the stream). */
export async function ordersRoutes(app: FastifyInstance, options: OrdersRoutesOptions): Promise<void> {
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
      const key = (request.headers as { 'idempotency-key'?: string })['idempotency-key'];
      const { order, created } = await createOrder(
        { log: options.log, orderIds: options.orderIds },
        {
          request: request.body as CreateOrderRequest,
          ...(key === undefined ? {} : { idempotencyKey: key }),
          version: options.version,
          now: new Date(),
        },
      );
      if (!created) reply.header('idempotent-replayed', 'true');
      return reply.code(201).header('location', `/orders/${order.id}`).send(order);
    },
  );

  app.get(
    '/orders/:id',
    { schema: { params: Type.Object({ id: OrderId }), response: { 200: OrderResponse, 404: Problem } } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const order = await options.log.get(id);
      if (!order) {
        return reply
          .code(404)
          .type('application/problem+json')
          .send({ type: 'about:blank', title: 'Not Found', status: 404, detail: `order ${id} does not exist` });
      }
      return order;
    },
  );
}
