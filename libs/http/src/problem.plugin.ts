import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { publicDetail } from './public-detail';

/** How an error code from the catalogue is answered. */
export interface ProblemMapping {
  readonly status: number;
  readonly title: string;
  /** Seconds for a `Retry-After` header (503s). */
  readonly retryAfterSeconds?: number;
  /** The `detail` callers see, instead of the error's message (which is logged). */
  readonly detail?: string;
}

export interface ProblemPluginOptions {
  /** Error `code` → HTTP answer, e.g. `TANDEM_ERR_EVENT_NOT_STORED` → 503. */
  readonly mappings?: Readonly<Record<string, ProblemMapping>>;
}

const PROBLEM = 'application/problem+json';

/**
 * The one place errors become HTTP answers: RFC 9457 `application/problem+json` with
 * `type`, `title`, `status`, `detail`; validation errors list each offending field;
 * unknown routes are 404, oversized bodies 413, malformed JSON 400; mapped error codes
 * get their status (and `Retry-After`); anything else is a 500 that reveals nothing.
 * No answer carries a stack, and an error's message reaches a caller only through
 * {@link publicDetail} (first line, addresses, host names and file paths replaced).
 */
async function problems(app: FastifyInstance, options: ProblemPluginOptions): Promise<void> {
  const mappings = options.mappings ?? {};
  app.setNotFoundHandler(async (request, reply) =>
    reply
      .code(404)
      .type(PROBLEM)
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: publicDetail(`no route for ${request.method} ${request.url.split('?')[0]}`),
      }),
  );
  app.setErrorHandler(async (error: FastifyError & { code?: string }, request, reply) => {
    if (error.validation) {
      const errors = error.validation.map((v) => ({
        field: fieldOf(v.instancePath, v.params as Record<string, unknown>, error.validationContext),
        message: v.message ?? 'is invalid',
      }));
      return reply
        .code(400)
        .type(PROBLEM)
        .send({
          type: 'about:blank',
          title: 'Bad Request',
          status: 400,
          detail: `invalid ${error.validationContext ?? 'request'}`,
          errors,
        });
    }
    const mapped = error.code ? mappings[error.code] : undefined;
    if (mapped) {
      if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds));
      if (mapped.status >= 500) request.log.warn({ err: error }, mapped.title);
      return reply
        .code(mapped.status)
        .type(PROBLEM)
        .send({ type: 'about:blank', title: mapped.title, status: mapped.status, detail: mapped.detail ?? publicDetail(error.message) });
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply
        .code(500)
        .type(PROBLEM)
        .send({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'the request could not be completed' });
    }
    return reply
      .code(status)
      .type(PROBLEM)
      .send({ type: 'about:blank', title: titleFor(status), status, detail: publicDetail(error.message) });
  });
}

function fieldOf(instancePath: string, params: Record<string, unknown>, context: string | undefined): string {
  const path = instancePath.replace(/^\//, '').replace(/\//g, '.');
  const missing = params['missingProperty'] ?? params['additionalProperty'];
  const leaf = typeof missing === 'string' ? (path ? `${path}.${missing}` : missing) : path;
  return leaf || context || 'body';
}

function titleFor(status: number): string {
  return (
    (
      {
        400: 'Bad Request',
        404: 'Not Found',
        405: 'Method Not Allowed',
        409: 'Conflict',
        413: 'Content Too Large',
        414: 'URI Too Long',
        415: 'Unsupported Media Type',
        429: 'Too Many Requests',
      } as Record<number, string>
    )[status] ?? 'Client Error'
  );
}

export const problemPlugin = fp(problems, { name: 'tandem-problems', fastify: '5.x' });

/** What the router refuses before any route, hook or error handler runs, and how it is answered. */
const FRAMEWORK_PROBLEMS: Readonly<Record<string, { status: number; detail: string }>> = {
  FST_ERR_BAD_URL: { status: 400, detail: 'the URL is not valid: a percent-encoded part is not UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, detail: 'a path parameter is longer than the API accepts' },
};

/**
 * Fastify's `frameworkErrors` option: the errors its router raises before routing — a
 * malformed percent-encoding (400), a path parameter over `maxParamLength` (414) — answered as
 * problem bodies like every other error, instead of Fastify's own JSON. Pass it to the
 * `Fastify({...})` that registers {@link problemPlugin}.
 */
export function problemFrameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = error.code ? FRAMEWORK_PROBLEMS[error.code] : undefined;
  const status =
    known?.status ?? (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400);
  void reply
    .code(status)
    .type(PROBLEM)
    .send({ type: 'about:blank', title: titleFor(status), status, detail: known?.detail ?? 'the request could not be routed' });
}
