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
