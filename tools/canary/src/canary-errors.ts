/**
 * The canary CLI's error catalogue. Every error has a stable `code` and the exit code
 * the CLI ends with; `main.ts` prints `canary: <message>` and exits with it.
 */
export abstract class CanaryError extends Error {
  abstract readonly exitCode: number;
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line itself is wrong (unknown command or option, bad percentage). Exit 2. */
export class UsageError extends CanaryError {
  readonly exitCode = 2;
  constructor(message: string) {
    super('CANARY_ERR_USAGE', message);
  }
}

/** A manifest file cannot be read or is not valid YAML. Exit 1, nothing written. */
export class ManifestUnreadableError extends CanaryError {
  readonly exitCode = 1;
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('CANARY_ERR_MANIFEST_UNREADABLE', `${file}: ${reason}`, options);
  }
}

/**
 * A manifest parses but is not in the shape the canary edits: names the file, the field
 * path (e.g. `spec.http[1].route[0].destination.subset`) and why. Exit 1, nothing written.
 */
export class ManifestShapeError extends CanaryError {
  readonly exitCode = 1;
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super('CANARY_ERR_MANIFEST_SHAPE', `${file}: ${path}: ${reason}`);
  }
}

/** The VirtualService routes to a subset the DestinationRule does not define. Exit 1. */
export class UndefinedSubsetError extends CanaryError {
  readonly exitCode = 1;
  constructor(
    readonly file: string,
    readonly path: string,
    readonly subset: string,
    readonly destinationRuleFile: string,
    defined: readonly string[],
  ) {
    super(
      'CANARY_ERR_UNDEFINED_SUBSET',
      `${file}: ${path}: subset "${subset}" is not defined in ${destinationRuleFile} ` +
        `(its spec.subsets has ${defined.length === 0 ? 'none' : defined.map((s) => `"${s}"`).join(', ')})`,
    );
  }
}

/** `--apply` was asked for but kubectl is not installed. Exit 3, nothing written. */
export class KubectlMissingError extends CanaryError {
  readonly exitCode = 3;
  constructor(options?: ErrorOptions) {
    super(
      'CANARY_ERR_KUBECTL_MISSING',
      '--apply needs kubectl, but no kubectl was found on PATH. Nothing was changed; run without --apply to edit the file only.',
      options,
    );
  }
}

/** `--apply` was asked for but kubectl cannot reach a cluster. Exit 3, nothing written. */
export class ClusterUnreachableError extends CanaryError {
  readonly exitCode = 3;
  constructor(
    readonly context: string | undefined,
    detail: string,
  ) {
    super(
      'CANARY_ERR_CLUSTER_UNREACHABLE',
      `--apply needs a reachable cluster, but kubectl ${context === undefined ? '(no current context set)' : `(context "${context}")`} ` +
        `cannot reach one: ${JSON.stringify(detail)}. Nothing was changed; run without --apply to edit the file only.`,
    );
  }
}

/** `kubectl apply` failed after the file was written: the cluster may lag the file. Exit 4. */
export class ApplyFailedError extends CanaryError {
  readonly exitCode = 4;
  constructor(
    readonly file: string,
    detail: string,
    alreadyApplied: readonly string[],
  ) {
    super(
      'CANARY_ERR_APPLY_FAILED',
      `kubectl apply -f ${file} failed: ${JSON.stringify(detail)}` +
        (alreadyApplied.length > 0 ? ` (already applied: ${alreadyApplied.join(', ')})` : '') +
        '. The file is written but the cluster is not up to date: fix the cause and run the command again with --apply.',
    );
  }
}

/** The edited manifest could not be written; the original is unchanged. Exit 1. */
export class WriteFailedError extends CanaryError {
  readonly exitCode = 1;
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super('CANARY_ERR_WRITE_FAILED', `${file}: could not write: ${(cause as Error).message}; the file is unchanged`, { cause });
  }
}

/**
 * NATS (where the message split lives) is not reachable, or refuses the identity: nothing was
 * changed, neither the file nor the cluster. Exit 5.
 */
export class NatsUnavailableError extends CanaryError {
  readonly exitCode = 5;
  constructor(where: string, detail: string, options?: ErrorOptions) {
    super('CANARY_ERR_NATS_UNAVAILABLE', `the message split needs NATS at ${where}, which ${detail}. Nothing was changed.`, options);
  }
}

/**
 * The HTTP split was written (and applied, with --apply) but the message split could not be:
 * the two now differ. Exit 6; running the same command again finishes it.
 */
export class MessageSplitFailedError extends CanaryError {
  readonly exitCode = 6;
  constructor(detail: string, options?: ErrorOptions) {
    super(
      'CANARY_ERR_MESSAGE_SPLIT_FAILED',
      `the HTTP split moved but the message split did not: ${detail}. Run the same command again to move it ` + '(`status` shows both).',
      options,
    );
  }
}
