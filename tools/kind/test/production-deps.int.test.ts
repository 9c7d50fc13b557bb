import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, ManagedProcess, NatsServer, OtlpCapture, TEST_ORDER_ID_SECRET, waitFor, workspaceRoot } from '@tandem/testing';
import { parseDockerfile, stageNamed } from './dockerfile';

/**
 * The images' runtime, without Docker: each app's directory is assembled exactly as the
 * Dockerfile's prod-deps stage does it (tools/scripts/prune-deps.sh: the bundle plus
 * `npm ci --omit=dev --ignore-scripts` of the pruned lockfile), then started the way
 * the runtime stage starts it (its ENTRYPOINT, WORKDIR and ENV) against a real
 * nats-server, with nothing of the workspace reachable. Where the machine allows, each
 * app runs as PID 1 of its own PID namespace, as in a container. Needs the apps built
 * (the test target depends on their build) and the npm registry or a warm npm cache.
 */
const root = workspaceRoot();
const apps = ['gateway', 'order', 'consumer'] as const;
type App = (typeof apps)[number];
const runtime = stageNamed(parseDockerfile(join(root, 'deploy/docker/Dockerfile')), 'runtime');
const entrypoint = JSON.parse(runtime.instructions.find((i) => i.keyword === 'ENTRYPOINT')?.args ?? '[]') as string[];
const imageEnv = Object.fromEntries(
  runtime.instructions
    .filter((i) => i.keyword === 'ENV')
    .flatMap((i) => i.args.split(/\s+/).map((pair) => pair.split('=', 2) as [string, string])),
);

/** `unshare` flags that make the command PID 1 of a new PID namespace, if this machine allows it. */
const pidNamespace = ((): string[] | undefined => {
  const flags = ['--pid', '--fork', '--kill-child', ...(process.getuid?.() === 0 ? [] : ['--map-root-user'])];
  const probe = spawnSync('unshare', [...flags, process.execPath, '-e', 'process.exit(process.pid === 1 ? 0 : 3)'], { timeout: 10_000 });
  return probe.status === 0 ? flags : undefined;
})();

/** The child of `parent` (the app under unshare), found through /proc. */
function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(entry);
    } catch {
      // the process exited while we looked
    }
  }
  return undefined;
}

interface Running {
  readonly process: ManagedProcess;
  readonly port: number;
  /** The node process as seen from here (the child of unshare in a PID namespace). */
  readonly nodePid: number;
}

describe('the images runtime: each app from its production-only directory', () => {
  let work: string;
  let nats: NatsServer;
  let capture: OtlpCapture;
  const dirs = {} as Record<App | 'topology', string>;
  const running = {} as Record<App, Running>;
  /** What the topology image printed declaring the topology as the admin user. */
  let declared = '';

  const start = async (app: App, env: Record<string, string>): Promise<Running> => {
    const port = await freePort();
    const argv = [process.execPath, ...entrypoint.slice(1)];
    const [command, ...args] = pidNamespace ? ['unshare', ...pidNamespace, ...argv] : argv;
    const child = new ManagedProcess(app, command ?? '', args, {
      cwd: dirs[app],
      env: {
        PATH: '/usr/bin:/bin',
        HOME: work,
        ...imageEnv,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        // NODE_ENV=production: order refuses to start without it (docs/decisions/0012)
        ORDER_ID_SECRET: TEST_ORDER_ID_SECRET,
        OTEL_LOGS_EXPORTER: 'none',
        ...env,
      },
    });
    const nodePid = pidNamespace
      ? await waitFor(() => childOf(child.pid ?? -1), { timeoutMs: 10_000, description: `the node process under unshare for ${app}` })
      : (child.pid ?? -1);
    return { process: child, port, nodePid };
  };

  const get = async (app: App, path: string) => {
    const r = await fetch(`http://127.0.0.1:${running[app].port}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: r.status, body: (await r.text()) || '' };
  };
  const waitForStatus = (app: App, path: string, status: number) =>
    waitFor(
      async () => {
        if (!running[app].process.running) throw new Error(`${app} exited:\n${running[app].process.output()}`);
        return (await get(app, path)).status === status;
      },
      { timeoutMs: 30_000, description: `${app} ${path} to answer ${status}\n--- output ---\n${running[app].process.output()}` },
    );

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'tandem-image-runtime-'));
    const timings: string[] = [];
    for (const app of [...apps, 'topology'] as const) {
      dirs[app] = join(work, app);
      const started = Date.now();
      await promisify(execFile)('bash', [join(root, 'tools/scripts/prune-deps.sh'), app, dirs[app]], {
        cwd: root,
        maxBuffer: 16 * 1024 * 1024,
      });
      timings.push(`${app} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    console.log(
      `production dependencies installed (prune-deps.sh): ${timings.join(', ')}; PID namespace: ${pidNamespace ? 'yes' : 'not available here'}`,
    );

    // As in the cluster: NATS users, and the topology declared by the topology image (the
    // nats-topology Job) as the administrative user before the services can be ready.
    nats = await NatsServer.start({ accounts: true, topology: false });
    capture = await OtlpCapture.start();
    const job = await promisify(execFile)(process.execPath, [...entrypoint.slice(1), '--wait', '20'], {
      cwd: dirs.topology,
      env: { PATH: '/usr/bin:/bin', HOME: work, ...imageEnv, ...nats.clientEnv('admin'), JETSTREAM_REPLICAS: '1' },
    });
    declared = job.stdout;
    running.order = await start('order', nats.clientEnv('order'));
    running.consumer = await start('consumer', nats.clientEnv('consumer'));
    running.gateway = await start('gateway', { ORDER_URL: `http://127.0.0.1:${running.order.port}` });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(apps.map((app) => running[app]?.process.stop('SIGKILL')));
    await nats?.cleanup();
    await capture?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds the bundle and its production packages only: no build tools, no workspace code, no NATS client in the gateway', () => {
    for (const app of apps) {
      expect(existsSync(join(dirs[app], 'main.js'))).toBe(true);
      const modules = join(dirs[app], 'node_modules');
      expect(existsSync(join(modules, 'fastify'))).toBe(true);
      for (const tool of ['typescript', 'nx', 'esbuild', 'jest', '@swc', '@nx', '@tandem'])
        expect({ app, tool, present: existsSync(join(modules, tool)) }).toEqual({ app, tool, present: false });
    }
    expect(existsSync(join(dirs.gateway, 'node_modules/@nats-io'))).toBe(false);
    expect(existsSync(join(dirs.order, 'node_modules/@nats-io/jetstream'))).toBe(true);
    // The topology image: its bundle and the NATS client; no build tools, no workspace code, and
    // no HTTP server (it imports the runtime and messaging libs, not the HTTP one).
    expect(existsSync(join(dirs.topology, 'main.js'))).toBe(true);
    expect(existsSync(join(dirs.topology, 'node_modules/@nats-io/jetstream'))).toBe(true);
    for (const absent of ['typescript', 'nx', 'esbuild', 'jest', '@tandem', 'fastify'])
      expect({ absent, present: existsSync(join(dirs.topology, 'node_modules', absent)) }).toEqual({ absent, present: false });
  });

  it('the topology image declares the topology as the admin user (what the nats-topology Job runs)', () => {
    expect(declared).toContain('stream ORDERS: created\n');
    expect(declared).toContain('consumer ORDERS_MAX_DELIVERIES/dead-letters: created\n');
    expect(declared).toMatch(/topology on nats:\/\/127\.0\.0\.1:\d+ declared \(replicas 1\)/);
  });

  it.each(apps)('%s starts with NODE_ENV=production and answers /livez and /readyz with 200', async (app) => {
    expect(imageEnv['NODE_ENV']).toBe('production');
    await waitForStatus(app, '/livez', 200);
    await waitForStatus(app, '/readyz', 200);
  });

  it('an order goes gateway → order → NATS → consumer to fulfilled, and spans leave through the OTLP/protobuf exporter', async () => {
    const created = await fetch(`http://127.0.0.1:${running.gateway.port}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'image-runtime-1' },
      body: JSON.stringify({ sku: 'sku-1', qty: 2, customerId: 'c-1' }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await created.text();
    expect({ status: created.status, text }).toMatchObject({ status: 201 });
    const { id } = JSON.parse(text) as { id: string };
    await waitFor(async () => JSON.parse((await get('gateway', `/orders/${id}`)).body).status === 'fulfilled', {
      timeoutMs: 30_000,
      description: `order ${id} to be fulfilled`,
    });
    await waitFor(() => capture.spans.some((s) => s.transport === 'http/protobuf' && s.resource['service.name'] === 'consumer'), {
      timeoutMs: 15_000,
      description: 'spans over OTLP/protobuf',
    });
  });

  it.each(apps)(
    `%s stops gracefully with exit code 0 on SIGTERM${pidNamespace ? ', as PID 1 of its own PID namespace (as in a container)' : ''}`,
    async (app) => {
      const { process: child, nodePid } = running[app];
      if (pidNamespace) {
        const pids = child.lines.flatMap((l) => (l.startsWith('{') ? [(JSON.parse(l) as { pid?: number }).pid] : []));
        expect(new Set(pids)).toEqual(new Set([1]));
      }
      process.kill(nodePid, 'SIGTERM');
      const exit = await Promise.race([
        child.exited,
        new Promise((r) => setTimeout(() => r('still running 20 s after SIGTERM'), 20_000).unref()),
      ]);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(child.output()).toContain('received SIGTERM, shutting down gracefully');
    },
  );
});
