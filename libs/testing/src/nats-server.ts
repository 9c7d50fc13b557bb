import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { workspaceRoot } from './app-process';
import { ManagedProcess } from './child-process';
import { freePort } from './free-port';
import { waitFor } from './wait-for';

/** Finds the nats-server binary: `NATS_SERVER_BIN`, PATH, then Debian's /usr/sbin. */
export function natsServerBinary(): string {
  const fromEnv = process.env['NATS_SERVER_BIN'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN');
  }
}

export interface NatsServerOptions {
  /** Store directory for JetStream; a fresh temp dir when omitted (removed by `cleanup`). */
  readonly storeDir?: string;
  /** Port on 127.0.0.1; a free random one when omitted. */
  readonly port?: number;
  /** Extra command-line arguments. */
  readonly args?: readonly string[];
  /** A config file (`-c`); the address, port, JetStream and store given on the command line still apply. */
  readonly configFile?: string;
  /** Extra environment of the server process (values a config file reads as `$NAME`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Run with Tandem's NATS users and subject permissions (deploy/nats/local.conf, the config
   * `npm start` uses), each user with a fresh random password: connect as one with
   * {@link NatsServer.user} or {@link NatsServer.clientEnv}. Without it, anyone may connect
   * and do anything (the default, as before). As in every deployment, the services' users
   * cannot declare streams or consumers: once up, the server gets Tandem's topology from
   * `npm run nats:topology`'s program (dist/tools/topology, built before the tests) run as
   * the `admin` user, unless `topology` is false.
   */
  readonly accounts?: boolean;
  /** With `accounts`: declare Tandem's topology once the server is up (default true). */
  readonly topology?: boolean;
  /**
   * With `accounts`: a change to deploy/nats/permissions.conf for this server (e.g. take a
   * subject away from a user); {@link NatsServer.setPermissions} changes it at run time.
   */
  readonly permissions?: (conf: string) => string;
}

/** Tandem's NATS users (deploy/nats/local.conf): one per service, one for the one-process topology, and the administrative identity. */
export type TandemNatsUser = 'order' | 'consumer' | 'all-in-one' | 'admin';

/** How a client connects as one of the users. */
export interface NatsUserCredentials {
  readonly user: string;
  readonly pass: string;
  /** The reply-subject prefix the user may subscribe to (`_INBOX.<user>`). */
  readonly inboxPrefix: string;
}

const TANDEM_NATS_USERS: readonly TandemNatsUser[] = ['order', 'consumer', 'all-in-one', 'admin'];

/** The variable deploy/nats/local.conf reads a user's password from (`order` → `NATS_ORDER_PASS`). */
export function natsPasswordVariable(user: TandemNatsUser): string {
  return `NATS_${user.toUpperCase().replace(/-/g, '_')}_PASS`;
}

/**
 * A real nats-server with JetStream on a random 127.0.0.1 port. Stop it gracefully, kill
 * it with SIGKILL, and restart it on the same port and store to test recovery.
 */
export class NatsServer {
  private process?: ManagedProcess;
  private ownsStore = false;
  /** With accounts: the copy of deploy/nats/ this server reads (its permissions may differ). */
  private configDir?: string;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    private readonly args: readonly string[],
    private readonly env: Readonly<Record<string, string>>,
    private readonly users?: ReadonlyMap<TandemNatsUser, NatsUserCredentials>,
  ) {}

  /** Starts a server and waits until it accepts clients. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'tandem-nats-')));
    const args = [...(options.args ?? [])];
    const env: Record<string, string> = { ...options.env };
    let users: Map<TandemNatsUser, NatsUserCredentials> | undefined;
    if (options.configFile !== undefined) args.push('-c', options.configFile);
    let configDir: string | undefined;
    if (options.accounts) {
      if (options.configFile !== undefined) throw new Error('NatsServer.start: give either accounts or configFile, not both');
      configDir = await mkdtemp(join(tmpdir(), 'tandem-nats-conf-'));
      const source = join(workspaceRoot(), 'deploy', 'nats');
      await copyFile(join(source, 'local.conf'), join(configDir, 'local.conf'));
      const permissions = await readFile(join(source, 'permissions.conf'), 'utf8');
      await writeFile(join(configDir, 'permissions.conf'), options.permissions ? options.permissions(permissions) : permissions);
      args.push('-c', join(configDir, 'local.conf'));
      users = new Map();
      for (const user of TANDEM_NATS_USERS) {
        // A letter first: nats-server parses `$NAME` values, and digits alone would not stay a string.
        const pass = `p${randomBytes(24).toString('hex')}`;
        users.set(user, { user, pass, inboxPrefix: `_INBOX.${user}` });
        env[natsPasswordVariable(user)] = pass;
      }
    }
    const server = new NatsServer(options.port ?? (await freePort()), storeDir, args, env, users);
    server.ownsStore = options.storeDir === undefined;
    if (configDir !== undefined) server.configDir = configDir;
    await server.restart();
    if (options.accounts && options.topology !== false) {
      try {
        await server.declareTopology();
      } catch (error) {
        await server.cleanup();
        throw error;
      }
    }
    return server;
  }

  /**
   * Runs `npm run nats:topology`'s program (dist/tools/topology/main.js) as the admin user
   * against this server, with `args` (e.g. `--check`); resolves with its output, rejects with
   * it when it exits non-zero.
   */
  async declareTopology(args: readonly string[] = []): Promise<string> {
    const program = join(workspaceRoot(), 'dist', 'tools', 'topology', 'main.js');
    if (!existsSync(program)) throw new Error(`${program} is missing: build it first (npx nx run topology:build; npm test does)`);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [program, '--wait', '20', ...args], {
        // Only the admin's identity: a NATS_CREDS or NATS_USER of the shell running the tests must not mix in.
        env: { PATH: process.env['PATH'] ?? '', ...this.clientEnv('admin'), JETSTREAM_REPLICAS: '1' },
        timeout: 30_000,
      });
      return stdout;
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`nats:topology failed against ${this.url}:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
    }
  }

  /**
   * Rewrites this server's permissions.conf from deploy/nats/'s (through `change`, or as it is)
   * and makes the running server reload it (SIGHUP); resolves once it has. Connected clients
   * stay connected, under the new permissions.
   */
  async setPermissions(change: (conf: string) => string = (conf) => conf): Promise<void> {
    if (!this.configDir) throw new Error(`nats-server:${this.port} was not started with accounts: true`);
    const permissions = await readFile(join(workspaceRoot(), 'deploy', 'nats', 'permissions.conf'), 'utf8');
    await writeFile(join(this.configDir, 'permissions.conf'), change(permissions));
    const before = this.output()
      .split('\n')
      .filter((l) => /Reloaded server configuration/.test(l)).length;
    this.process?.signal('SIGHUP');
    await waitFor(
      () =>
        this.output()
          .split('\n')
          .filter((l) => /Reloaded server configuration/.test(l)).length > before,
      {
        timeoutMs: 10_000,
        description: `nats-server:${this.port} to reload its configuration\n${this.output()}`,
      },
    );
  }

  /** A user's credentials; the server must have been started with `accounts: true`. */
  user(name: TandemNatsUser): NatsUserCredentials {
    const credentials = this.users?.get(name);
    if (!credentials) throw new Error(`nats-server:${this.port} was not started with accounts: true; it has no user "${name}"`);
    return credentials;
  }

  /** The environment a Tandem service needs to connect here as `name`: NATS_URL, NATS_USER, NATS_PASS, NATS_INBOX_PREFIX. */
  clientEnv(name: TandemNatsUser): Record<string, string> {
    const { user, pass, inboxPrefix } = this.user(name);
    return { NATS_URL: this.url, NATS_USER: user, NATS_PASS: pass, NATS_INBOX_PREFIX: inboxPrefix };
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** (Re)starts on the same port and store; resolves once the server is ready. */
  async restart(): Promise<void> {
    if (this.process?.running) throw new Error('nats-server is already running');
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir, ...this.args];
    this.process = new ManagedProcess(`nats-server:${this.port}`, natsServerBinary(), args, {
      env: { ...process.env, ...this.env },
    });
    await this.process.waitForLine(/Server is ready/, 20_000);
  }

  /** Graceful stop (SIGTERM → the server's lame-duck-free shutdown). */
  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM');
  }

  /** SIGKILL: the server dies mid-flight; the store survives for {@link restart}. */
  async kill(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }

  /** Stops the server and removes a temp store. */
  async cleanup(): Promise<void> {
    await this.stop();
    if (this.ownsStore) await rm(this.storeDir, { recursive: true, force: true });
    if (this.configDir) await rm(this.configDir, { recursive: true, force: true });
  }

  output(): string {
    return this.process?.output() ?? '';
  }
}

/** Waits until `url`'s port refuses connections (after a stop) — for tests that need the broker gone. */
export async function waitForPortClosed(port: number, timeoutMs = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      }),
    { timeoutMs, description: `port ${port} to close` },
  );
}
