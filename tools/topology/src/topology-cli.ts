import { AuthorizationError, type NatsConnection } from '@nats-io/transport-node';
import { TandemTopology } from '@tandem/contracts';
import {
  connectOnce,
  describePermissionViolation,
  ensureTopology,
  natsEnvProperties,
  permissionViolationOf,
  redactServerUrl,
  toNatsSettings,
  TopologyConflictError,
  TopologyShrinkError,
  type NatsSettings,
  type TopologySpec,
} from '@tandem/messaging';
import { backoffDelay, DEFAULT_BACKOFF, delay, parseEnv } from '@tandem/runtime';
import Type from 'typebox';

export const USAGE = `Usage: npm run nats:topology [-- --check] [-- --wait <seconds>]

Declares Tandem's JetStream topology (streams ORDERS, ORDERS_DLQ, ORDERS_MAX_DELIVERIES;
consumers fulfilment and dead-letters: libs/contracts) with the administrative NATS
identity, idempotently: creates what is missing, updates limits that differ, changes
nothing the second time. The services' own users may only use what it declares.

  --check          change nothing: list what a declaration would create or update (limits and
                   replicas included); exit 1 if anything
  --wait <s>       keep trying this long while NATS or JetStream is not there yet (default 60)
  --help           this text

Environment: NATS_URL, NATS_USER and NATS_PASS (or NATS_CREDS) of the administrative user,
NATS_INBOX_PREFIX (its inbox, e.g. _INBOX.admin), JETSTREAM_REPLICAS (default 1).
Exit codes: 0 done, 1 refused or not reachable in time, 2 bad arguments or environment.
`;

export interface TopologyArgs {
  readonly check: boolean;
  readonly waitMs: number;
  readonly help: boolean;
}

export function parseTopologyArgs(argv: readonly string[]): { ok: true; value: TopologyArgs } | { ok: false; error: string } {
  let check = false;
  let help = false;
  let waitMs = 60_000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--check') check = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--wait' || arg.startsWith('--wait=')) {
      const value = arg === '--wait' ? argv[++i] : arg.slice('--wait='.length);
      if (value === undefined || !/^\d+$/.test(value) || Number(value) > 3_600)
        return {
          ok: false,
          error: `--wait: expected whole seconds from 0 to 3600, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
        };
      waitMs = Number(value) * 1_000;
    } else return { ok: false, error: `unknown argument ${JSON.stringify(arg)}` };
  }
  return { ok: true, value: { check, waitMs, help } };
}

const TopologyEnv = Type.Object(natsEnvProperties());

/** Reads the NATS variables; throws ConfigError naming each bad one. */
export function loadTopologySettings(env: Readonly<Record<string, string | undefined>>): NatsSettings {
  return toNatsSettings(parseEnv(TopologyEnv, env));
}

/** What cannot get better by waiting: a refusal, a conflict with what the server holds. */
function isFinal(error: unknown): boolean {
  return (
    error instanceof TopologyConflictError ||
    error instanceof TopologyShrinkError ||
    error instanceof AuthorizationError ||
    permissionViolationOf(error) !== undefined
  );
}

function describe(error: unknown): string {
  const denied = permissionViolationOf(error);
  if (denied) return `${describePermissionViolation(denied)} (is NATS_USER the administrative identity?)`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Declares (or with `check`, checks) `spec` and writes one line per resource to `out`;
 * returns the exit code. Retries what waiting can mend (no server yet, JetStream electing a
 * leader) until `waitMs` has passed.
 */
export async function runTopology(
  settings: NatsSettings,
  args: TopologyArgs,
  out: (line: string) => void,
  spec: TopologySpec = TandemTopology,
): Promise<number> {
  const where = settings.servers.map(redactServerUrl).join(',');
  const deadline = Date.now() + args.waitMs;
  for (let attempt = 0; ; attempt++) {
    let nc: NatsConnection | undefined;
    try {
      nc = await connectOnce(settings, 'tandem-topology');
      if (args.check) {
        // What a declaration would do, limits and replicas included: anything but "unchanged" is a difference.
        const planned = await ensureTopology(nc, spec, { replicas: settings.replicas, dryRun: true });
        const problems = planned.filter((c) => c.action !== 'unchanged');
        for (const c of problems) out(`${c.kind} ${c.name}: would be ${c.action}`);
        out(problems.length === 0 ? `topology on ${where}: as declared` : `topology on ${where}: ${problems.length} difference(s)`);
        return problems.length === 0 ? 0 : 1;
      }
      const changes = await ensureTopology(nc, spec, { replicas: settings.replicas });
      for (const c of changes) out(`${c.kind} ${c.name}: ${c.action}`);
      out(`topology on ${where} declared (replicas ${settings.replicas})`);
      return 0;
    } catch (error) {
      if (isFinal(error) || Date.now() >= deadline) {
        out(`nats:topology: ${describe(error)}`);
        return 1;
      }
      const wait = Math.min(backoffDelay(attempt, DEFAULT_BACKOFF), Math.max(0, deadline - Date.now()));
      out(`nats:topology: ${describe(error)}; trying again in ${Math.round(wait / 100) / 10} s`);
      await delay(wait);
    } finally {
      await nc?.close().catch(() => undefined);
    }
  }
}
