import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseCanaryArgs, USAGE, type CanaryArgs } from './canary-args';
import { CanaryError, ManifestUnreadableError, UsageError, WriteFailedError } from './canary-errors';
import { formatChange, formatStatus, SUBSETS, targetWeights, type Weights } from './canary-weights';
import { MessageSplit, setByLine, type MessageSplitState } from './message-split';
import { assertSubsetsDefined, readDestinationRuleSubsets } from './destination-rule';
import { writeFileAtomic } from './atomic-write';
import { applyInOrder, assertClusterReachable } from './kubectl';
import { readOrderRoute, withWeights, type OrderRoute } from './order-route';

/** The VirtualService edited by default, relative to the repository root. */
export const DEFAULT_VIRTUAL_SERVICE = 'deploy/istio/order-virtualservice.yaml';
/** The DestinationRule looked for beside the VirtualService when `--destination-rule` is not given. */
export const DESTINATION_RULE_BESIDE = 'order-destinationrule.yaml';

/** Where the canary runs: everything it would otherwise take from `process`. */
export interface CanaryIo {
  /** The repository root: the default VirtualService is resolved against it. */
  readonly cwd: string;
  /** `INIT_CWD` (set by npm to where it was run) resolves the user's relative paths; PATH finds kubectl. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * The canary command: parses `argv`, reads and validates the order VirtualService (and
 * its DestinationRule when there is one), prints or changes the weights, and with
 * `--apply` applies both files with kubectl. Refusals are printed as `canary: <why>`
 * on stderr with nothing written. Resolves with the exit code; never exits the process.
 */
export async function runCanary(argv: readonly string[], io: CanaryIo): Promise<number> {
  try {
    await canary(argv, io);
    return 0;
  } catch (error) {
    if (!(error instanceof CanaryError)) throw error;
    io.stderr.write(`canary: ${error.message}\n`);
    if (error instanceof UsageError) io.stderr.write('Run "npm run canary -- --help" for usage.\n');
    return error.exitCode;
  }
}

async function canary(argv: readonly string[], io: CanaryIo): Promise<void> {
  const args = parseCanaryArgs(argv);
  if (args.help) {
    io.stdout.write(USAGE);
    return;
  }
  const userDir = io.env.INIT_CWD || io.cwd;
  const show = (path: string): string => {
    const r = relative(userDir, path);
    return r === '' || isAbsolute(r) || r.split(sep)[0] === '..' ? path : r;
  };
  const vs = resolve(args.file === undefined ? io.cwd : userDir, args.file ?? DEFAULT_VIRTUAL_SERVICE);
  const dr = args.destinationRule === undefined ? join(dirname(vs), DESTINATION_RULE_BESIDE) : resolve(userDir, args.destinationRule);

  const route = readOrderRoute(await readText(vs, show(vs)), show(vs));
  // The DestinationRule beside the VirtualService is optional for editing; a named one, or one to apply, is not.
  const drText = await readText(dr, show(dr), {
    optional: args.destinationRule === undefined && !args.apply,
    missing:
      args.destinationRule === undefined
        ? `file not found; --apply applies the DestinationRule beside the VirtualService first (or pass --destination-rule <path>)`
        : undefined,
  });
  if (drText !== undefined) assertSubsetsDefined(route, readDestinationRuleSubsets(drText, show(dr)), show(dr));

  // The message split (fulfilment v1/v2, in stream ORDERS) moves with the HTTP split when NATS
  // is reachable: NATS_URL set. --apply changes the live system and never moves one alone.
  if (args.apply && !io.env.NATS_URL)
    throw new UsageError(
      '--apply moves the HTTP split and the message split together: set NATS_URL and the administrative identity ' +
        '(NATS_USER/NATS_PASS or NATS_CREDS, NATS_INBOX_PREFIX; deploy/README.md shows how on kind). Nothing was changed.',
    );
  const messages = await MessageSplit.open(io.env);
  try {
    await moveSplits({ args, io, route, messages, files: { vs, dr, show } });
  } finally {
    await messages?.close();
  }
}

/** What one run works on: the parsed command, the route read from the files, and NATS when it is set. */
interface CanaryRun {
  readonly args: Extract<CanaryArgs, { help: false }>;
  readonly io: CanaryIo;
  readonly route: OrderRoute;
  readonly messages: MessageSplit | undefined;
  /** The VirtualService and DestinationRule paths, and how to show a path to the user. */
  readonly files: { readonly vs: string; readonly dr: string; show(path: string): string };
}

/** Prints both splits, or moves both: HTTP (file, then cluster with --apply), then messages. */
async function moveSplits({ args, io, route, messages, files: { vs, dr, show } }: CanaryRun): Promise<void> {
  const current = await messages?.read();
  if (args.command.kind === 'status') {
    io.stdout.write(`${formatStatus(route.name, route.weights, route.file)}\n`);
    if (current && messages) io.stdout.write(formatMessageStatus(current, messages.where));
    else io.stdout.write(`${MESSAGES}: not read (NATS_URL is not set)\n`);
    if (current && SUBSETS.some((s) => current.weights[s] !== route.weights[s]))
      io.stderr.write(`canary: warning: HTTP and ${MESSAGES} are split differently; "set <v2-percent>" with NATS_URL set moves both\n`);
    return;
  }
  const target = targetWeights(args.command);
  // Before writing anything: a refused --apply leaves the file as it was.
  const context = args.apply ? await assertClusterReachable(io.env) : undefined;
  if (SUBSETS.some((s) => route.weights[s] !== target[s])) {
    const edited = withWeights(route, target);
    try {
      await writeFileAtomic(vs, edited);
    } catch (error) {
      throw new WriteFailedError(route.file, error);
    }
  }
  io.stdout.write(`${formatChange(route.name, route.weights, target, route.file)}\n`);
  if (args.apply) {
    await applyInOrder(
      [
        { path: dr, display: show(dr) },
        { path: vs, display: show(vs) },
      ],
      io.env,
    );
    io.stdout.write(
      `${route.name}: applied ${show(dr)}, then ${show(vs)}, with kubectl${context === undefined ? '' : ` (context "${context}")`}\n`,
    );
  }
  if (!messages || !current) {
    io.stderr.write(`canary: ${MESSAGES}: not moved (NATS_URL is not set; only the file changed)\n`);
    return;
  }
  if (SUBSETS.every((s) => current.weights[s] === target[s])) {
    io.stdout.write(`${formatChange(MESSAGES, current.weights, target, `ORDERS, since sequence ${current.since}`)}\n`);
  } else {
    const seq = await messages.write(
      target,
      setByLine(args.command.kind === 'set' ? `set ${args.command.v2}` : args.command.kind),
      current.lastOnSubject,
    );
    io.stdout.write(`${formatChange(MESSAGES, current.weights, target, `ORDERS, from sequence ${seq}`)}\n`);
    if (!args.apply)
      io.stderr.write(`canary: note: ${MESSAGES} moved on NATS now; the HTTP split changed in the file only (apply it, or use --apply)\n`);
  }
  if (target.v2 > 0 && (current.v2 === undefined || current.v2.waiting === 0))
    io.stderr.write(
      `canary: warning: ${current.v2 === undefined ? 'ORDERS/fulfilment-v2 is not declared (npm run nats:topology)' : 'no fulfilment v2 is pulling from ORDERS/fulfilment-v2 right now'}: its share of the orders waits until one does\n`,
    );
}

/** What the message split is called in the CLI's lines. */
const MESSAGES = 'orders.created';

function formatMessageStatus(state: MessageSplitState, where: string): string {
  const weights: Weights = state.weights;
  const origin =
    state.since === 0
      ? `no split written in ORDERS yet: all to v1; NATS ${where}`
      : `ORDERS since sequence ${state.since}${state.split?.setBy ? `, set by ${state.split.setBy}` : ''}${state.split?.setAt ? ` at ${state.split.setAt}` : ''}`;
  const lines = [formatStatus(MESSAGES, weights, origin)];
  lines.push(
    state.v2 === undefined
      ? 'fulfilment-v2: not declared (npm run nats:topology)'
      : `fulfilment-v2: ${state.v2.pending} pending, ${state.v2.ackPending} unacknowledged, ${state.v2.waiting} pull(s) waiting`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The file's text. A missing file is `undefined` when `optional`, else a
 * ManifestUnreadableError whose reason is `missing` (default "file not found").
 */
async function readText(path: string, display: string): Promise<string>;
async function readText(path: string, display: string, options: { optional: boolean; missing?: string }): Promise<string | undefined>;
async function readText(path: string, display: string, options?: { optional: boolean; missing?: string }): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && options?.optional) return undefined;
    const reason = code === 'ENOENT' ? (options?.missing ?? 'file not found') : `cannot read: ${(error as Error).message}`;
    throw new ManifestUnreadableError(display, reason, { cause: error });
  }
}
