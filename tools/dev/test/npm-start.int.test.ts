import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { AuthorizationError, connect } from '@nats-io/transport-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isProcessAlive as alive, ManagedProcess, waitFor, workspaceRoot } from '@tandem/testing';

describe('npm start (tools/scripts/start.sh → tools/dev)', () => {
  async function runAndInterrupt(args: string[], expectedChildren: string[], stopSignal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    const dataDir = await mkdtemp(join(tmpdir(), 'tandem-start-'));
    const ports = {
      GATEWAY_PORT: await freePort(),
      ORDER_PORT: await freePort(),
      CONSUMER_PORT: await freePort(),
      NATS_PORT: await freePort(),
    };
    const env = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)]));
    const start = new ManagedProcess('npm start', 'bash', [join(workspaceRoot(), 'tools/scripts/start.sh'), ...args], {
      cwd: workspaceRoot(),
      env: { ...process.env, ...env, TANDEM_DATA_DIR: dataDir },
    });
    try {
      await start.waitForLine(/Tandem is running/, 90_000);
      for (const port of [ports.GATEWAY_PORT, ports.ORDER_PORT, ports.CONSUMER_PORT]) {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(response.status).toBe(200);
      }
      expect(start.output()).toContain(`gateway   http://127.0.0.1:${ports.GATEWAY_PORT}`);
      // Quiet by default: nats-server's banner and info lines are not shown; not in a terminal,
      // the services' lines stay JSON.
      expect(start.lines.filter((l) => /^nats +\| .*\[INF\]/.test(l))).toEqual([]);
      const serviceLine = start.lines.find((l) => /^gateway +\| /.test(l) || /^tandem +\| /.test(l));
      expect(() => JSON.parse((serviceLine ?? '').replace(/^\S+ +\| /, ''))).not.toThrow();
      // the printed curl really creates an order
      const curl = start.lines.find((l) => l.includes('curl -s -i -X POST'));
      expect(curl).toBeDefined();
      const created = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'start-test' },
        body: /-d '([^']+)'/.exec(curl ?? '')?.[1] ?? '',
      });
      expect(created.status).toBe(201);
      // NATS runs with Tandem's users (deploy/nats/local.conf): no anonymous client gets in;
      // the user's env file written for other local clients works, and only its owner can read it.
      const natsUrl = `nats://127.0.0.1:${ports.NATS_PORT}`;
      await expect(connect({ servers: natsUrl, timeout: 3_000 })).rejects.toBeInstanceOf(AuthorizationError);
      const user = expectedChildren.includes('tandem') ? 'all-in-one' : 'order';
      const envFile = join(dataDir, 'users', `${user}.env`);
      expect((await stat(envFile)).mode & 0o777).toBe(0o600);
      const vars = Object.fromEntries(
        (await readFile(envFile, 'utf8'))
          .split('\n')
          .filter((l) => /^NATS_\w+=/.test(l))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(vars).toMatchObject({ NATS_USER: user, NATS_INBOX_PREFIX: `_INBOX.${user}`, NATS_URL: natsUrl });
      const nc = await connect({
        servers: natsUrl,
        user: vars['NATS_USER'],
        pass: vars['NATS_PASS'],
        inboxPrefix: vars['NATS_INBOX_PREFIX'],
        timeout: 3_000,
      });
      await nc.close();
      expect(start.output()).not.toContain(vars['NATS_PASS']); // in no log line of NATS or the services
      const pids = start.lines.flatMap((l) => /is ready \(pid (\d+)\)/.exec(l)?.slice(1) ?? []).map(Number);
      expect(pids).toHaveLength(expectedChildren.length);

      start.signal(stopSignal);
      const exit = await start.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      const stopping = start.lines.filter((l) => /supervisor +\| stopping \S+ \(pid/.test(l)).map((l) => /stopping (\S+)/.exec(l)?.[1]);
      expect(stopping).toEqual([...expectedChildren].reverse());
      expect(start.output()).toContain('tandem: stopped');
      await waitFor(() => pids.every((pid) => !alive(pid)), { description: 'every child to be gone', timeoutMs: 5_000 });
    } finally {
      await start.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }

  it('brings up NATS and all three services ready, and Ctrl-C stops them all in order with exit 0, leaving no process', async () => {
    await runAndInterrupt([], ['nats', 'order', 'consumer', 'gateway']);
  });

  it('with --one-process runs the three services in one process; closing the terminal (SIGHUP) stops it and NATS, leaving no process', async () => {
    await runAndInterrupt(['--one-process'], ['nats', 'tandem'], 'SIGHUP');
  });

  it('--jaeger without a Docker engine says so in one line, how to send traces elsewhere, and starts nothing', async () => {
    const start = new ManagedProcess('npm start', 'bash', [join(workspaceRoot(), 'tools/scripts/start.sh'), '--jaeger'], {
      cwd: workspaceRoot(),
      env: { ...process.env, TANDEM_DOCKER: '/nonexistent/docker', NATS_PORT: String(await freePort()) },
    });
    const exit = await start.exited;
    expect(exit.code).toBe(1);
    const said = start.lines.filter((l) => l.startsWith('npm start: '));
    expect(said).toEqual([
      'npm start: --jaeger needs a Docker engine (no /nonexistent/docker command); without one, run an OTLP collector yourself and start with OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4318 npm start',
    ]);
    expect(start.output()).not.toContain('is ready');
  });

  it("prints no npm warning on the documented path: `npm start` from the machine's own Node", async () => {
    // The machine's Node and npm (Node 20 on these machines; the scripts bring Node 24 themselves).
    const start = new ManagedProcess('npm start', 'npm', ['start', '--', '--help'], {
      cwd: workspaceRoot(),
      env: { ...process.env, PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    const exit = await start.exited;
    expect({ code: exit.code, output: start.output() }).toMatchObject({ code: 0 });
    expect(start.output()).toContain('Usage: npm start');
    expect(start.lines.filter((l) => /npm warn/i.test(l))).toEqual([]);
  });

  it('refuses bad arguments with a message naming them and exit code 2', async () => {
    const start = new ManagedProcess('npm start', 'bash', [join(workspaceRoot(), 'tools/scripts/start.sh'), '--log-level', 'loud'], {
      cwd: workspaceRoot(),
    });
    const exit = await start.exited;
    expect(exit.code).toBe(2);
    expect(start.output()).toContain('--log-level expects one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  });
});
