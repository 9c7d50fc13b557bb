import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The users of deploy/nats/local.conf: one per service that talks to NATS, one for the
 * one-process topology, and the administrative identity that declares the topology.
 */
export const NATS_USERS = ['order', 'consumer', 'all-in-one', 'admin'] as const;
export type NatsUserName = (typeof NATS_USERS)[number];

/** What a service needs to connect as its user. */
export interface NatsUserEnv {
  readonly NATS_USER: string;
  readonly NATS_PASS: string;
  /** The user may subscribe only to `_INBOX.<user>.>`. */
  readonly NATS_INBOX_PREFIX: string;
}

export interface LocalNatsUsers {
  /** The variables deploy/nats/local.conf reads the passwords from (`NATS_ORDER_PASS`…), for the nats-server process. */
  readonly serverEnv: Readonly<Record<string, string>>;
  readonly users: Readonly<Record<NatsUserName, NatsUserEnv>>;
}

/** `all-in-one` → `NATS_ALL_IN_ONE_PASS`. */
export function passwordVariable(user: NatsUserName): string {
  return `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASS`;
}

/**
 * Fresh random passwords for every user. Each starts with a letter and is otherwise hex:
 * nats-server parses the value of a `$NAME` reference, and a value such as `12345`, `true`
 * or `12MB` would not stay a string.
 */
export function generateNatsUsers(random: (bytes: number) => Buffer = randomBytes): LocalNatsUsers {
  const serverEnv: Record<string, string> = {};
  const users = {} as Record<NatsUserName, NatsUserEnv>;
  for (const user of NATS_USERS) {
    const pass = `p${random(24).toString('hex')}`;
    serverEnv[passwordVariable(user)] = pass;
    users[user] = { NATS_USER: user, NATS_PASS: pass, NATS_INBOX_PREFIX: `_INBOX.${user}` };
  }
  return { serverEnv, users };
}

/**
 * Writes `<dir>/<user>.env` (mode 0600, directory 0700) for each user, so another local client
 * can connect as one: `set -a; . .data/nats/users/order.env; set +a`. Overwritten at every start.
 */
export function writeUserEnvFiles(dir: string, natsUrl: string, users: LocalNatsUsers['users']): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const [name, env] of Object.entries(users)) {
    const lines = [
      `# npm start's NATS user "${name}" (deploy/nats/local.conf); new password at every npm start.`,
      `NATS_URL=${natsUrl}`,
      ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
      '',
    ];
    const file = join(dir, `${name}.env`);
    writeFileSync(file, lines.join('\n'), { mode: 0o600 });
    chmodSync(file, 0o600); // an older file keeps its mode through writeFileSync
  }
}

/** Variables a child must not inherit from the shell that ran npm start: it gets its own NATS identity or none. */
export const NATS_CLIENT_VARIABLES = ['NATS_USER', 'NATS_PASS', 'NATS_CREDS', 'NATS_INBOX_PREFIX'] as const;
