import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseCanaryArgs, USAGE } from './canary-args';
import { CanaryError, ManifestUnreadableError, UsageError, WriteFailedError } from './canary-errors';
import { formatChange, formatStatus, SUBSETS, targetWeights } from './canary-weights';
import { assertSubsetsDefined, readDestinationRuleSubsets } from './destination-rule';
import { writeFileAtomic } from './atomic-write';
import { applyInOrder, assertClusterReachable } from './kubectl';
import { readOrderRoute, withWeights } from './order-route';

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

  if (args.command.kind === 'status') {
    io.stdout.write(`${formatStatus(route.name, route.weights, route.file)}\n`);
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
