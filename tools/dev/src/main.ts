import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NODE_FLAGS } from '@tandem/testing';
import { ProcessSupervisor, type ChildSpec } from './process-supervisor';
import { natsLineShown, parseDevArgs, terminalEnv, USAGE } from './dev-args';
import { dockerAvailable, JAEGER_PORTS, jaegerImage, jaegerRunArgs, jaegerServiceEnv, noDockerMessage } from './jaeger';
import { generateNatsUsers, NATS_CLIENT_VARIABLES, writeUserEnvFiles } from './nats-users';
import { localOrderIdSecret } from './order-id-secret';
import { portIsFree, waitForHttp, waitForTcp } from './probes';

/**
 * `npm start`: nats-server (JetStream, 127.0.0.1:4222, data under .data/) and the three
 * services as separate processes under one ProcessSupervisor. Ctrl-C stops them in
 * reverse order (gateway, consumer, order, then NATS) and exits 0. NATS runs with Tandem's
 * users and permissions (deploy/nats/local.conf) and fresh random passwords: order and
 * consumer each connect as their own user, the gateway gets no NATS credentials at all.
 */
async function main(): Promise<void> {
  const parsed = parseDevArgs(process.argv.slice(2), process.env);
  if (!parsed.ok) {
    process.stderr.write(`npm start: ${parsed.error}\n\n${USAGE}`);
    process.exit(2);
  }
  const options = parsed.value;
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const root = process.cwd();
  const docker = process.env['TANDEM_DOCKER'] || 'docker';
  const jaegerName = `tandem-jaeger-${process.pid}`;
  if (options.jaeger) {
    const available = await dockerAvailable(docker);
    if (!available.ok) {
      process.stderr.write(`${noDockerMessage(available.reason)}\n`);
      process.exit(1);
    }
  }
  const wanted = {
    nats: options.natsPort,
    ...options.ports,
    ...(options.jaeger
      ? { 'Jaeger OTLP/gRPC': JAEGER_PORTS.otlpGrpc, 'Jaeger OTLP/HTTP': JAEGER_PORTS.otlpHttp, 'Jaeger UI': JAEGER_PORTS.ui }
      : {}),
  };
  for (const [name, port] of Object.entries(wanted)) {
    if (!(await portIsFree('127.0.0.1', port))) {
      process.stderr.write(`npm start: port ${port} (${name}) on 127.0.0.1 is already in use; stop whatever listens there and try again\n`);
      process.exit(1);
    }
  }
  const dataDir = resolve(root, options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const natsUrl = `nats://127.0.0.1:${options.natsPort}`;
  const nats = generateNatsUsers();
  const usersDir = join(dataDir, 'users');
  writeUserEnvFiles(usersDir, natsUrl, nats.users);
  const orderIdSecret = { ORDER_ID_SECRET: localOrderIdSecret(dataDir, process.env) };
  const inherited: Record<string, string | undefined> = { ...process.env };
  for (const variable of NATS_CLIENT_VARIABLES) delete inherited[variable];
  const common = {
    ...inherited,
    ...terminalEnv(process.env, process.stdout.isTTY === true),
    ...(options.jaeger ? jaegerServiceEnv() : {}),
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel,
    NATS_URL: natsUrl,
  };
  const nodeChild = (name: string, app: string, port: number, env: Record<string, string>, readyPorts = [port]): ChildSpec => ({
    name,
    command: process.execPath,
    args: [...NODE_FLAGS, join(root, 'dist', 'apps', app, 'main.js')],
    env: { ...common, ...env },
    ready: async (signal) => {
      for (const p of readyPorts) await waitForHttp(`http://127.0.0.1:${p}/readyz`, signal);
    },
    stopTimeoutMs: 30_000,
  });
  const { gateway, order, consumer } = options.ports;
  const services: ChildSpec[] = options.oneProcess
    ? [
        nodeChild(
          'tandem',
          'all-in-one',
          gateway,
          {
            GATEWAY_PORT: String(gateway),
            ORDER_PORT: String(order),
            CONSUMER_PORT: String(consumer),
            ...nats.users['all-in-one'],
            ...orderIdSecret,
          },
          [order, consumer, gateway],
        ),
      ]
    : [
        nodeChild('order', 'order', order, { PORT: String(order), ...nats.users.order, ...orderIdSecret }),
        nodeChild('consumer', 'consumer', consumer, { PORT: String(consumer), ...nats.users.consumer }),
        nodeChild('gateway', 'gateway', gateway, { PORT: String(gateway), ORDER_URL: `http://127.0.0.1:${order}` }),
      ];
  const supervisor = new ProcessSupervisor({
    children: [
      {
        name: 'nats',
        command: options.natsServer,
        args: ['-a', '127.0.0.1', '-p', String(options.natsPort), '-js', '-sd', dataDir, '-c', join(root, 'deploy', 'nats', 'local.conf')],
        env: { ...process.env, ...nats.serverEnv },
        // Ready once the topology is declared by the administrative identity: the services'
        // users may only use it (SPEC §4). The same program as `npm run nats:topology`.
        ready: async (signal) => {
          await waitForTcp('127.0.0.1', options.natsPort, signal);
          await declareTopology(root, { ...inherited, NATS_URL: natsUrl, ...nats.users.admin, JETSTREAM_REPLICAS: '1' }, signal);
        },
        stopTimeoutMs: 10_000,
        ...(options.verbose ? {} : { showLine: natsLineShown }),
      },
      ...(options.jaeger
        ? [
            {
              name: 'jaeger',
              command: docker,
              args: jaegerRunArgs(jaegerImage(root), jaegerName),
              ready: (signal: AbortSignal) => waitForTcp('127.0.0.1', JAEGER_PORTS.otlpHttp, signal),
              stopTimeoutMs: 15_000,
              ...(options.verbose ? {} : { showLine: (line: string) => /warn|error|fatal/i.test(line) }),
            },
          ]
        : []),
      ...services,
    ],
  });

  // `docker run --rm` removes Jaeger only when it stops by itself: if its docker client is
  // killed (stop timeout, second Ctrl-C, a crash here) the container would keep its ports.
  const removeJaeger = () => {
    if (!options.jaeger) return;
    try {
      execFileSync(docker, ['rm', '-f', jaegerName], { stdio: 'ignore', timeout: 15_000 });
    } catch {
      // already gone
    }
  };
  process.on('exit', removeJaeger);
  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> =>
    (stopping ??= supervisor.stop().then((clean) => {
      removeJaeger();
      process.stdout.write(clean ? 'tandem: stopped\n' : 'tandem: stopped (some processes had to be killed)\n');
      process.exit(clean ? code : 1);
    }));
  // npm forwards the terminal's SIGINT to its child as well, so one Ctrl-C can arrive
  // twice within a few milliseconds: only a signal a second or more later counts as "again".
  // SIGHUP is the terminal closing: without a handler it would kill this process and leave the
  // services (in their own process groups) running. Once the terminal is gone writes to it
  // fail; the stop must go on regardless.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const now = Date.now();
      if (firstSignalAt !== 0 && now - firstSignalAt < 1_000) return;
      const again = firstSignalAt !== 0;
      firstSignalAt ||= now;
      if (again) {
        process.stdout.write('tandem: second signal, killing everything now\n');
        process.exit(1);
      }
      process.stdout.write(`\ntandem: ${signal} received, stopping the services, then NATS…\n`);
      void stop(0);
    });
  }

  try {
    await supervisor.start();
  } catch (error) {
    process.stderr.write(`tandem: could not start: ${(error as Error).message}\n`);
    await stop(1);
    return;
  }
  if (stopping) return;
  process.stdout.write(
    [
      '',
      `Tandem is running (${options.oneProcess ? 'one process' : 'separate processes'}):`,
      `  gateway   http://127.0.0.1:${gateway}   (public API)`,
      `  order     http://127.0.0.1:${order}`,
      `  consumer  http://127.0.0.1:${consumer}`,
      `  NATS      ${natsUrl}  (JetStream data in ${options.dataDir})`,
      ...(options.jaeger
        ? [`  Jaeger    http://127.0.0.1:${JAEGER_PORTS.ui}  (every trace; OTLP on ${JAEGER_PORTS.otlpGrpc}/${JAEGER_PORTS.otlpHttp})`]
        : []),
      `            as user${options.oneProcess ? ' all-in-one' : 's order and consumer'} (deploy/nats/local.conf); topology declared as admin;`,
      `            passwords, new at each start, in ${join(options.dataDir, 'users')}/`,
      '',
      'Try:',
      `  curl -s -i -X POST http://127.0.0.1:${gateway}/orders -H 'content-type: application/json' -H 'idempotency-key: demo-1' -d '{"sku":"ABC-1","qty":2}'`,
      `  curl -s http://127.0.0.1:${gateway}/orders/<id from the Location header>`,
      `  curl -N http://127.0.0.1:${gateway}/orders/<id>/events       # waits for the order: server-sent events`,
      `  curl -s http://127.0.0.1:${gateway}/openapi.json`,
      `  curl -s http://127.0.0.1:${order}/metrics | grep messaging_`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

void main();

/** Runs dist/tools/topology (built by start.sh) as the admin user; throws with its output if it fails. */
async function declareTopology(root: string, env: Record<string, string | undefined>, signal: AbortSignal): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [join(root, 'dist', 'tools', 'topology', 'main.js'), '--wait', '30'], { env, signal });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`declaring the NATS topology failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
}
