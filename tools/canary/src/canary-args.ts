import { UsageError } from './canary-errors';

/** What to do with the weighted route. `set` carries the v2 percentage (v1 gets the rest). */
export type CanaryCommand =
  { readonly kind: 'status' } | { readonly kind: 'set'; readonly v2: number } | { readonly kind: 'promote' } | { readonly kind: 'abort' };

/** A parsed command line. Paths are as typed; the caller resolves them. */
export type CanaryArgs =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly command: CanaryCommand;
      /** `--file`: the VirtualService to edit instead of the default one. */
      readonly file?: string;
      /** `--destination-rule`: the DestinationRule instead of the one beside the VirtualService. */
      readonly destinationRule?: string;
      readonly apply: boolean;
    };

export const USAGE = `Usage: npm run canary -- <command> [options]

Reads and edits the weights of the "weighted" route of the order VirtualService
(default deploy/istio/order-virtualservice.yaml); comments and layout are kept. With
NATS_URL set, the same command reads and moves the split of orders.created between
fulfilment v1 and v2 (a split message in stream ORDERS; docs/decisions/0018).

Commands:
  status              print the weight of each subset (HTTP, and orders.created with NATS_URL)
  set <v2-percent>    send <v2-percent> (integer 0..100) to v2 and the rest to v1
  promote             v2 100%, v1 0%
  abort               v1 100%, v2 0%

Options:
  --file <path>               the VirtualService to work on
  --destination-rule <path>   its DestinationRule (default: order-destinationrule.yaml beside it)
  --apply                     after writing, kubectl apply the DestinationRule, then the
                              VirtualService, to the current context, then move the message
                              split (refused, with nothing written, when no cluster or no NATS
                              is reachable; requires NATS_URL)
  -h, --help                  show this help

Environment (message split): NATS_URL, NATS_USER and NATS_PASS (or NATS_CREDS) of the
administrative user, NATS_INBOX_PREFIX (e.g. _INBOX.admin).

Exit codes: 0 done, 1 manifest refused, 2 usage error, 3 no reachable cluster for --apply,
4 kubectl apply failed after the file was written, 5 NATS not reachable or refused (nothing
changed), 6 the HTTP split moved but the message split could not be written (run it again).
`;

const VALUE_OPTIONS = { '--file': 'file', '--destination-rule': 'destinationRule' } as const;

/**
 * Parses the canary's arguments (everything after `npm run canary --`).
 * Throws a {@link UsageError} naming the offending argument; `--help` anywhere wins.
 */
export function parseCanaryArgs(argv: readonly string[]): CanaryArgs {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const values: { file?: string; destinationRule?: string } = {};
  let apply = false;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    // "-1" is a (bad) percentage, not an option: let `set` explain what it expects.
    if (!arg.startsWith('-') || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--apply') {
      apply = true;
      continue;
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!Object.hasOwn(VALUE_OPTIONS, name)) throw new UsageError(`unknown option "${arg}"`);
    const key = VALUE_OPTIONS[name as keyof typeof VALUE_OPTIONS];
    const value = inline ?? argv[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('-'))) {
      throw new UsageError(`${name} expects a path`);
    }
    if (values[key] !== undefined) throw new UsageError(`${name} given twice`);
    values[key] = value;
  }

  const [name, ...rest] = positionals;
  const command = parseCommand(name, rest);
  if (apply && command.kind === 'status') throw new UsageError('--apply goes with set, promote or abort; status only reads');
  return { help: false, command, apply, ...values };
}

function parseCommand(name: string | undefined, rest: readonly string[]): CanaryCommand {
  const noMore = (): void => {
    if (rest.length > 0) throw new UsageError(`${name} takes no arguments, got "${rest[0]}"`);
  };
  switch (name) {
    case undefined:
      throw new UsageError('missing command: status, set <v2-percent>, promote or abort');
    case 'status':
    case 'promote':
    case 'abort':
      noMore();
      return { kind: name };
    case 'set': {
      const [percent, ...extra] = rest;
      if (percent === undefined) throw new UsageError('set expects the v2 percentage, an integer 0..100 (e.g. set 30)');
      if (extra.length > 0) throw new UsageError(`set takes one argument, got also "${extra[0]}"`);
      return { kind: 'set', v2: parsePercent(percent) };
    }
    default:
      throw new UsageError(`unknown command "${name}": expected status, set <v2-percent>, promote or abort`);
  }
}

function parsePercent(text: string): number {
  const value = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 0 && value <= 100)) throw new UsageError(`set expects the v2 percentage as an integer 0..100, got "${text}"`);
  return value;
}
