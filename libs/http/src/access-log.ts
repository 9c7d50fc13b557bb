import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's per-request log lines, one per request instead of two: no "incoming request"
 * line, and the "request completed" line (or "request errored", at error) carries the
 * request (method, URL with query values redacted, host, remote address and port), the
 * response status and the response time — an access log. Every other internal line (404s,
 * 5xx from the default error handler, stream errors) is Fastify's own.
 *
 * Why: each line is a synchronous write to stdout plus redaction; on the order hot path
 * two lines per request in every service cost more CPU than the JSON schema validation
 * (docs/benchmarks). Routes with `logLevel: 'warn'` (probes, OpenAPI) stay silent as before.
 * Pass it as Fastify's `logController` option.
 */
export class AccessLogController extends LogController {
  override incomingRequest(): void {
    // Logged once, at completion, by requestCompleted.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
