/**
 * The ceiling's gateway (bench yardstick, not product code): bare Fastify, no schema
 * validation library, no logger, no telemetry; relays `POST /orders` to the ceiling order
 * service over a keep-alive undici pool (as many connections as Tandem's gateway uses) and
 * passes status, body and the same headers back. Env: PORT, HOST, ORDER_URL.
 */
import Fastify from 'fastify';
import { Pool } from 'undici';

const RELAYED = ['content-type', 'location', 'x-order-version', 'idempotent-replayed', 'retry-after'];

async function main(): Promise<void> {
  const pool = new Pool(process.env['ORDER_URL'] ?? 'http://127.0.0.1:3001', { connections: 64, keepAliveTimeout: 30_000 });
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 });
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.post('/orders', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const response = await pool.request({
      method: 'POST',
      path: '/orders',
      headers: { 'content-type': 'application/json', ...(typeof key === 'string' ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(request.body),
    });
    const body = await response.body.text();
    for (const name of RELAYED) {
      const value = response.headers[name];
      if (typeof value === 'string') reply.header(name, value);
    }
    return reply.code(response.statusCode).send(body);
  });
  await app.listen({ port: Number(process.env['PORT'] ?? 0), host: process.env['HOST'] ?? '127.0.0.1' });
  const stop = async () => {
    await app.close();
    await pool.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`ceiling-gateway: ${String(error)}\n`);
  process.exit(1);
});
