import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { RuntimeError } from '@tandem/runtime';

/** An existing stream or consumer differs from its declaration in a way that cannot be updated. */
export class TopologyConflictError extends RuntimeError {
  constructor(
    readonly kind: 'stream' | 'consumer' | 'bucket',
    readonly resource: string,
    readonly field: string,
    readonly existing: unknown,
    readonly wanted: unknown,
    cause?: unknown,
  ) {
    super(
      'TANDEM_ERR_TOPOLOGY_CONFLICT',
      `${kind} ${resource}: field "${field}" is ${JSON.stringify(existing)} on the server but ${JSON.stringify(wanted)} is declared; ` +
        `it cannot be changed in place (delete and recreate the ${kind}, or change the declaration)`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** A payload does not match its event schema; never retried. */
export class EventValidationError extends RuntimeError {
  constructor(
    readonly subject: string,
    readonly problems: readonly string[],
  ) {
    super('TANDEM_ERR_EVENT_INVALID', `payload for ${subject} is invalid: ${problems.join('; ')}`);
  }
}

/** JetStream did not acknowledge an event: it is not stored. HTTP maps this to 503. */
export class EventNotStoredError extends RuntimeError {
  constructor(
    readonly subject: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super('TANDEM_ERR_EVENT_NOT_STORED', `event on ${subject} was not stored: ${reason}`, cause === undefined ? undefined : { cause });
  }
}

/**
 * A publish that expected its subject to be at a sequence (`Nats-Expected-Last-Subject-Sequence`,
 * e.g. 0: "nothing stored on this subject yet") found another: the server refused it and
 * stored nothing. `lastSequence` is the stream sequence of the subject's last message, the
 * one to read to see what is there (JetStream API error 10071, "wrong last sequence: N").
 */
export class SubjectSequenceMismatchError extends RuntimeError {
  constructor(
    readonly subject: string,
    readonly expectedSequence: number,
    readonly lastSequence: number,
    cause?: unknown,
  ) {
    super(
      'TANDEM_ERR_SUBJECT_SEQUENCE',
      `publish to ${subject} expected its last sequence to be ${expectedSequence} but it is ${lastSequence}; nothing was stored`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** The subject's last sequence from a "wrong last sequence: N" refusal, or undefined when `error` is not one. */
export function wrongLastSequenceOf(error: unknown): number | undefined {
  if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamWrongLastSequence) return undefined;
  const match = /wrong last sequence: (\d+)/i.exec(error.message);
  return match ? Number(match[1]) : undefined;
}

/** Thrown by a message handler when retrying cannot help: the message is dead-lettered at once. */
export class PermanentError extends RuntimeError {
  constructor(message: string, options?: ErrorOptions) {
    super('TANDEM_ERR_PERMANENT', message, options);
  }
}

/** A message body that is not valid JSON of its event schema: dead-lettered, never retried. */
export class SchemaViolationError extends PermanentError {
  constructor(readonly problems: readonly string[]) {
    super(`schema violation: ${problems.join('; ')}`);
  }
}

/**
 * What a permissions violation means, for messages and health details:
 * `the NATS user may not publish to "orders.created" (Permissions Violation for Publish to "orders.created")`.
 */
export function describePermissionViolation(error: PermissionViolationError): string {
  return `the NATS user may not ${error.operation === 'publish' ? 'publish' : 'subscribe'} to "${error.subject}" (${error.message})`;
}

/**
 * The server's permissions violation behind an error, if there is one: nats.js rejects a
 * request whose subject (or reply inbox) the user may not use with a `RequestError` whose
 * `cause` is the {@link PermissionViolationError}.
 */
export function permissionViolationOf(error: unknown): PermissionViolationError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof PermissionViolationError) return e;
  }
  return undefined;
}

/** A declared byte limit below what the stream holds: applying it would delete stored messages. */
export class TopologyShrinkError extends RuntimeError {
  constructor(
    readonly stream: string,
    readonly holdsBytes: number,
    readonly declaredMaxBytes: number,
  ) {
    super(
      'TANDEM_ERR_TOPOLOGY_SHRINK',
      `stream ${stream} holds ${holdsBytes} bytes, more than the declared max_bytes ${declaredMaxBytes}: lowering the limit would delete its oldest messages; move or remove them first, or declare a larger limit`,
    );
  }
}

/** The publish found no connection to send on. */
export class NotConnectedError extends RuntimeError {
  constructor() {
    super('TANDEM_ERR_NATS_NOT_CONNECTED', 'not connected to NATS');
  }
}

/**
 * True when `error`, or an error it was caused by, says NATS could not be reached or did not
 * answer ({@link isNatsUnavailable}, {@link NotConnectedError}), as when a handler's publish
 * fails during an outage; false for refusals (permissions, a wrong expected sequence, a full
 * stream) and everything else.
 */
export function isBrokerUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof NotConnectedError || isNatsUnavailable(e)) return true;
    if (permissionViolationOf(e) || e instanceof SubjectSequenceMismatchError) return false;
  }
  return false;
}

/**
 * True when `error` says JetStream could not be reached or did not answer in time — the
 * connection dropped or closed while a request was in flight, nobody answered, the request
 * timed out, or the JetStream API reported itself unavailable (503, e.g. during a leader
 * election) — as opposed to an answer that something is wrong. A refused permission is not
 * unavailability: retrying will not help.
 */
export function isNatsUnavailable(error: unknown): boolean {
  if (permissionViolationOf(error)) return false;
  if (error instanceof RequestError) return true;
  if (error instanceof JetStreamApiError) return error.status === 503;
  return [TimeoutError, NoRespondersError, ClosedConnectionError, DrainingConnectionError, ConnectionError].some(
    (type) => error instanceof type,
  );
}
