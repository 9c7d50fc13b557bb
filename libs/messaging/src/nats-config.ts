import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError, Env, type ConfigIssue } from '@tandem/runtime';
import Type, { type Static } from 'typebox';
import { parseServers } from './nats-connection.component';

/** NATS_URL: one or more server URLs, comma-separated (the grammar parseServers reads). */
function natsUrls(defaultUrls = 'nats://127.0.0.1:4222') {
  return Type.String({
    pattern: '^(nats|tls|ws|wss)://[^\\s,/]+(,\\s*(nats|tls|ws|wss)://[^\\s,/]+)*$',
    default: defaultUrls,
    description: 'a comma-separated list of nats:// (or tls://) URLs, e.g. nats://127.0.0.1:4222',
  });
}

/** The NATS variables of SPEC §2, as TypeBox properties to spread into an app's env schema. */
export function natsEnvProperties() {
  return {
    NATS_URL: natsUrls(),
    NATS_USER: Env.optionalString('a NATS user name (with NATS_PASS)'),
    NATS_PASS: Env.optionalString('the NATS password for NATS_USER', { secret: true }),
    NATS_CREDS: Env.optionalString('the path of a NATS .creds file'),
    NATS_INBOX_PREFIX: Type.String({
      pattern: '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$',
      default: '_INBOX',
      description: 'a subject prefix for reply inboxes without wildcards, e.g. _INBOX.order (the NATS user may subscribe only there)',
    }),
    JETSTREAM_REPLICAS: Env.integer(1, 1, 5),
  };
}

/** The NATS variables as one object schema. */
export const NatsEnvSchema = Type.Object(natsEnvProperties());
type NatsEnv = Static<typeof NatsEnvSchema>;

export interface NatsSettings {
  readonly servers: readonly string[];
  readonly user?: string;
  readonly pass?: string;
  readonly credsFile?: string;
  /** Prefix of reply subjects (`<prefix>.<nuid>…`); a user restricted to its own inbox needs it set to match. */
  readonly inboxPrefix: string;
  /** Replicas for streams, consumers and buckets created at start. */
  readonly replicas: number;
}

/** Maps parsed NATS variables to settings; credentials must be a user/password pair or a creds file, not both. */
export function toNatsSettings(env: NatsEnv): NatsSettings {
  const issues: ConfigIssue[] = [];
  if ((env.NATS_USER === undefined) !== (env.NATS_PASS === undefined)) {
    const missing = env.NATS_USER === undefined ? 'NATS_USER' : 'NATS_PASS';
    issues.push({ variable: missing, expected: 'to be set together with ' + (missing === 'NATS_USER' ? 'NATS_PASS' : 'NATS_USER') });
  }
  if (env.NATS_CREDS !== undefined && env.NATS_USER !== undefined) {
    issues.push({ variable: 'NATS_CREDS', expected: 'either NATS_CREDS or NATS_USER/NATS_PASS, not both', received: env.NATS_CREDS });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    servers: parseServers(env.NATS_URL),
    ...(env.NATS_USER === undefined ? {} : { user: env.NATS_USER, pass: env.NATS_PASS }),
    ...(env.NATS_CREDS === undefined ? {} : { credsFile: env.NATS_CREDS }),
    inboxPrefix: env.NATS_INBOX_PREFIX,
    replicas: env.JETSTREAM_REPLICAS,
  };
}

/**
 * One connection for a command-line tool (nats:topology, canary): these settings' servers,
 * user or creds file and inbox prefix, 5 s to connect, no reconnecting (a tool that loses
 * NATS says so and stops; a service uses NatsConnectionComponent instead).
 */
export async function connectOnce(settings: NatsSettings, name: string): Promise<NatsConnection> {
  const authenticator = settings.credsFile ? credsAuthenticator(new Uint8Array(await readFile(settings.credsFile))) : undefined;
  return connect({
    servers: [...settings.servers],
    name,
    inboxPrefix: settings.inboxPrefix,
    ...(settings.user === undefined ? {} : { user: settings.user, pass: settings.pass ?? '' }),
    ...(authenticator ? { authenticator } : {}),
    timeout: 5_000,
    maxReconnectAttempts: 0,
  });
}
