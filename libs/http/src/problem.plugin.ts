import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { publicDetail } from './public-detail';

/** How an error code from the catalogue is answered. */
export interface ProblemMapping {
  readonly status: number;
  readonly title: string;
  /** The RFC 9457 problem type. */
  readonly type: string;
  /** Seconds for a `Retry-After` header (503s). */
  readonly retryAfterSeconds?: number;
  /** The `detail` callers see, instead of the error's message (which is logged). */
  readonly detail?: string;
}

/**
 * The error catalogue (contracts' `Problems`): error `code` → HTTP answer. It names the
 * answers the plugin gives itself: no route, an invalid request, anything unforeseen.
 */
export type ProblemCatalogue = Readonly<Record<string, ProblemMapping>> & {
  readonly TANDEM_ERR_NOT_FOUND: ProblemMapping;
  readonly TANDEM_ERR_INVALID_REQUEST: ProblemMapping;
  readonly TANDEM_ERR_INTERNAL: ProblemMapping;
};

export interface ProblemPluginOptions {
  readonly catalogue: ProblemCatalogue;
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
  const { catalogue } = options;
  app.setNotFoundHandler(async (request, reply) =>
    sendProblem(reply, catalogue.TANDEM_ERR_NOT_FOUND, publicDetail(`no route for ${request.method} ${request.url.split('?')[0]}`)),
  );
  app.setErrorHandler(async (error: FastifyError & { code?: string }, request, reply) => {
    if (error.validation) {
      const errors = error.validation.map((v) => ({
        field: fieldOf(v.instancePath, v.params as Record<string, unknown>, error.validationContext),
        message: v.message ?? 'is invalid',
      }));
      return sendProblem(reply, catalogue.TANDEM_ERR_INVALID_REQUEST, `invalid ${error.validationContext ?? 'request'}`, { errors });
    }
    const mapped = error.code ? catalogue[error.code] : undefined;
    if (mapped) {
      if (mapped.status >= 500) request.log.warn({ err: error }, mapped.title);
      return sendProblem(reply, mapped, mapped.detail ?? publicDetail(error.message));
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(
        reply,
        catalogue.TANDEM_ERR_INTERNAL,
        catalogue.TANDEM_ERR_INTERNAL.detail ?? 'the request could not be completed',
      );
    }
    // Fastify's own 4xx errors (413, 415, …): the framework's table, as Fastify keeps it.
    return reply
      .code(status)
      .type(PROBLEM)
      .send({ type: 'about:blank', title: titleFor(status), status, detail: publicDetail(error.message) });
  });
}

/**
 * Answers with a catalogue entry: its status, `Retry-After` when it has one, and an RFC 9457
 * body (`extra` adds members, e.g. `errors`). For routes that answer a problem themselves
 * (a 405 with its `Allow`).
 */
export function sendProblem(
  reply: FastifyReply,
  problem: ProblemMapping,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  if (problem.retryAfterSeconds !== undefined) reply.header('retry-after', String(problem.retryAfterSeconds));
  return reply
    .code(problem.status)
    .type(PROBLEM)
    .send({ type: problem.type, title: problem.title, status: problem.status, detail, ...extra });
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
