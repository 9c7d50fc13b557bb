/** Base of the runtime's error catalogue: every error has a stable `code`. */
export class RuntimeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One invalid or missing configuration variable. */
export interface ConfigIssue {
  readonly variable: string;
  /** The expected form, e.g. `"an integer port 1..65535"`. */
  readonly expected: string;
  /** The value received, when there was one (secrets are never echoed). */
  readonly received?: string;
}

/** Configuration that cannot be used; the process edge exits with code 78 (EX_CONFIG). */
export class ConfigError extends RuntimeError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      'TANDEM_ERR_CONFIG',
      'invalid configuration:\n' +
        issues
          .map(
            (i) =>
              `  ${i.variable}: expected ${i.expected}` + (i.received === undefined ? ' (not set)' : `, got ${JSON.stringify(i.received)}`),
          )
          .join('\n'),
    );
  }
}

/** A component failed to start or failed while running. */
export class ComponentFailedError extends RuntimeError {
  constructor(
    readonly component: string,
    cause: unknown,
  ) {
    super('TANDEM_ERR_COMPONENT_FAILED', `component "${component}" failed: ${describe(cause)}`, { cause });
  }
}

/** The component graph is not a DAG or names a component that does not exist. */
export class ComponentGraphError extends RuntimeError {
  constructor(message: string) {
    super('TANDEM_ERR_COMPONENT_GRAPH', message);
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
