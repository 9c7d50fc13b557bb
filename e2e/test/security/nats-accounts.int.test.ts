import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { AuthorizationError, connect, PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import { OrderEvents, Topology } from '@tandem/contracts';
import { ConsumerRunner, EventNotStoredError, NatsConnectionComponent, Publisher } from '@tandem/messaging';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { AppProcess, natsServerBinary, NatsServer, waitFor, workspaceRoot, type TandemNatsUser } from '@tandem/testing';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';

const root = workspaceRoot();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The publish and subscribe allow-lists of a `NAME = { … }` permissions block in a NATS config. */
function permissionsBlock(conf: string, name: string): { publish: string[]; subscribe: string[] } {
  const text = conf
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n');
  const start = text.indexOf(`${name} = {`);
  if (start < 0) throw new Error(`no ${name} block`);
  let depth = 0;
  let end = start;
  for (let i = text.indexOf('{', start); i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) {
      end = i;
      break;
    }
  }
  const block = text.slice(start, end + 1);
  const list = (section: string) => {
    const at = block.indexOf(`${section}: {`);
    const body = block.slice(at, block.indexOf(']', at));
    return [...body.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string).sort();
  };
  return { publish: list('publish'), subscribe: list('subscribe') };
}

/** Creates an order through the gateway, waits until it is fulfilled, and returns its id. */
async function orderFulfilled(api: AppProcess, key: string, description: string): Promise<string> {
  const created = await fetch(`${api.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ sku: 'SEC-1', qty: 2 }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await waitFor(async () => ((await (await fetch(`${api.url}/orders/${id}`)).json()) as { status: string }).status === 'fulfilled', {
    description,
  });
  return id;
}

describe('NATS accounts: one user per service, least-privilege subjects (deploy/nats)', () => {
  describe('configuration', () => {
    const permissions = read('deploy/nats/permissions.conf');
    const local = read('deploy/nats/local.conf');
    const manifest = parseAllDocuments(read('deploy/k8s/base/nats.yaml')).map((d) => d.toJS());
    const configMap = manifest.find((o) => o?.kind === 'ConfigMap') as { data: Record<string, string> };

    it('the cluster uses deploy/nats/permissions.conf unchanged, only users admin, order and consumer, passwords only from env, and nats-server accepts it', () => {
      expect(configMap.data['permissions.conf']).toBe(permissions);
      const clusterConf = configMap.data['nats.conf'] ?? '';
      expect(clusterConf).toContain('include ./permissions.conf');
      const users = [...clusterConf.matchAll(/\{ user: (\S+), password: (\S+), permissions: (\S+) \}/g)].map((m) => m.slice(1));
      expect(users).toEqual([
        ['admin', '$NATS_ADMIN_PASS', '$ADMIN_PERMISSIONS'],
        ['order', '$NATS_ORDER_PASS', '$ORDER_PERMISSIONS'],
        ['consumer', '$NATS_CONSUMER_PASS', '$CONSUMER_PERMISSIONS'],
      ]);
      expect(clusterConf).not.toMatch(/no_auth_user|authorization\s*\{/);
      const dir = mkdtempSync(join(tmpdir(), 'tandem-natsconf-'));
      try {
        for (const [file, text] of Object.entries(configMap.data)) writeFileSync(join(dir, file), text);
        const env = { ...process.env, POD_NAME: 'nats-0', NATS_ADMIN_PASS: 'pc3', NATS_ORDER_PASS: 'pa1', NATS_CONSUMER_PASS: 'pb2' };
        const check = (variables: NodeJS.ProcessEnv) => {
          const r = spawnSync(natsServerBinary(), ['-c', join(dir, 'nats.conf'), '-t'], { env: variables, encoding: 'utf8' });
          return { status: r.status, output: `${r.stdout}${r.stderr}` };
        };
        expect(check(env)).toEqual({ status: 0, output: expect.stringContaining('is valid') });
        // Without a Secret's variable the server refuses to start rather than run without that password.
        const { NATS_CONSUMER_PASS: _omitted, ...missing } = env;
        expect(check(missing)).toEqual({ status: 1, output: expect.stringContaining("variable reference for 'NATS_CONSUMER_PASS'") });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the pods read the passwords from the Secrets, never from a literal', () => {
      type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
      const envOf = (file: string, kind: string, name: string): Record<string, EnvVar> => {
        const object = parseAllDocuments(read(file))
          .map((d) => d.toJS())
          .find((o) => o?.kind === kind && o.metadata.name === name);
        return Object.fromEntries((object.spec.template.spec.containers[0].env as EnvVar[]).map((v) => [v.name, v]));
      };
      const fromSecret = (name: string, secret: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key: 'password' } } });
      for (const [file, name, user] of [
        ['deploy/k8s/base/order.yaml', 'order-v1', 'order'],
        ['deploy/k8s/base/order.yaml', 'order-v2', 'order'],
        ['deploy/k8s/base/consumer.yaml', 'consumer-v1', 'consumer'],
        ['deploy/k8s/base/consumer.yaml', 'consumer-v2', 'consumer'],
      ] as const) {
        const env = envOf(file, 'Deployment', name);
        expect(env['NATS_USER']).toEqual({ name: 'NATS_USER', value: user });
        expect(env['NATS_PASS']).toEqual(fromSecret('NATS_PASS', `nats-user-${user}`));
        expect(env['NATS_INBOX_PREFIX']).toEqual({ name: 'NATS_INBOX_PREFIX', value: `_INBOX.${user}` });
      }
      const server = envOf('deploy/k8s/base/nats.yaml', 'StatefulSet', 'nats');
      expect(server['NATS_ORDER_PASS']).toEqual(fromSecret('NATS_ORDER_PASS', 'nats-user-order'));
      expect(server['NATS_CONSUMER_PASS']).toEqual(fromSecret('NATS_CONSUMER_PASS', 'nats-user-consumer'));
      expect(server['NATS_ADMIN_PASS']).toEqual(fromSecret('NATS_ADMIN_PASS', 'nats-user-admin'));
      // No Secret object with a password is committed: the user creates them (docs/security.md).
      expect(manifest.filter((o) => o?.kind === 'Secret')).toEqual([]);
    });

    it('the local all-in-one user has exactly the union of order and consumer, with its own inbox', () => {
      const order = permissionsBlock(permissions, 'ORDER_PERMISSIONS');
      const consumer = permissionsBlock(permissions, 'CONSUMER_PERMISSIONS');
      const allInOne = permissionsBlock(local, 'ALL_IN_ONE_PERMISSIONS');
      expect(allInOne.publish).toEqual([...new Set([...order.publish, ...consumer.publish])].sort());
      // Order listens to one order's orders.fulfilled.<id> while a client waits (docs/decisions/0014).
      expect([order.subscribe, consumer.subscribe, allInOne.subscribe]).toEqual([
        ['_INBOX.order.>', 'orders.fulfilled.*'],
        ['_INBOX.consumer.>'],
        ['_INBOX.all-in-one.>', 'orders.fulfilled.*'],
      ]);
      // Nothing broad: no service may publish to a whole API, declare, change, delete or purge,
      // or use another inbox. Only the administrative identity declares (SPEC §4).
      for (const subject of [...order.publish, ...consumer.publish]) {
        expect(subject).not.toMatch(/^\$JS\.API\.>|^>|CREATE|UPDATE|DELETE|PURGE|^_INBOX|STREAM\.LIST|STREAM\.NAMES/);
      }
      // …and one message subject: the fulfilment split the canary CLI writes (docs/decisions/0018).
      expect(permissionsBlock(permissions, 'ADMIN_PERMISSIONS')).toEqual({
        publish: ['$JS.API.>', 'orders.canary.fulfilment'],
        subscribe: ['_INBOX.admin.>'],
      });
    });
  });

  describe('against a real nats-server with deploy/nats/local.conf', () => {
    let nats: NatsServer;
    let order: AppProcess | undefined;
    let consumer: AppProcess | undefined;
    let gateway: AppProcess | undefined;
    const clients: NatsConnection[] = [];
    const components: Array<{ stop: (d: ReturnType<typeof deadlineIn>) => Promise<void> }> = [];
    const controller = new AbortController();
    const context = (): StartContext => ({ signal: controller.signal, logger: pino({ level: 'silent' }), fail: () => undefined });

    /** A raw nats.js connection as one of Tandem's users (as a service would connect). */
    async function connectAs(user: TandemNatsUser): Promise<NatsConnection> {
      const c = nats.user(user);
      const nc = await connect({ servers: nats.url, user: c.user, pass: c.pass, inboxPrefix: c.inboxPrefix, name: `test-${user}` });
      clients.push(nc);
      return nc;
    }
    /** Tandem's own connection component as one of the users. */
    async function componentAs(user: TandemNatsUser): Promise<NatsConnectionComponent> {
      const c = nats.user(user);
      const component = new NatsConnectionComponent({
        servers: [nats.url],
        clientName: `test-${user}`,
        user: c.user,
        pass: c.pass,
        inboxPrefix: c.inboxPrefix,
      });
      components.push(component);
      await component.start(context());
      await component.whenConnected();
      return component;
    }
    const violations = () =>
      nats
        .output()
        .split('\n')
        .filter((l) => /Violation|authentication error/.test(l));
    /**
     * Whether a server log line is this refusal: nats-server 2.9 wrote `Publish Violation -
     * User "u", Subject "s"`, 2.10 and later write `"ACCOUNT/user:u" - Publish Violation - Subject "s"`.
     */
    const refusal = (kind: 'Publish' | 'Subscription', user: string, subject: string) => (line: string) =>
      line.includes(`${kind} Violation - User "${user}", Subject "${subject}"`) ||
      line.includes(`/user:${user}" - ${kind} Violation - Subject "${subject}"`);

    beforeAll(async () => {
      // No topology yet: the first test shows the services waiting for the declaration.
      nats = await NatsServer.start({ accounts: true, topology: false });
    });
    afterAll(async () => {
      controller.abort();
      for (const c of components.splice(0)) await c.stop(deadlineIn(2_000));
      for (const nc of clients.splice(0)) await nc.close();
      await gateway?.stop();
      await consumer?.stop();
      await order?.stop();
      await nats?.cleanup();
    });

    it('order and consumer run as their own users, wait for the topology the admin identity declares, and an order is created and fulfilled and poison reaches the DLQ — with no permission refused', async () => {
      // Neither service may declare anything: each waits, not ready, naming what is missing.
      const fulfilment = await AppProcess.start('consumer', {
        env: { ...nats.clientEnv('consumer'), LOG_LEVEL: 'trace' },
        waitForReady: false,
      });
      consumer = fulfilment;
      const orders = await AppProcess.start('order', { env: { ...nats.clientEnv('order'), LOG_LEVEL: 'trace' }, waitForReady: false });
      order = orders;
      for (const [app, missing] of [
        [fulfilment, 'stream ORDERS does not exist; stream ORDERS_DLQ does not exist; stream ORDERS_MAX_DELIVERIES does not exist'],
        [orders, 'stream ORDERS does not exist'],
      ] as const) {
        await waitFor(
          async () => {
            const readyz = await app.get('/readyz');
            const detail = (readyz.body as { components: Array<{ name: string; detail?: string }> }).components.find(
              (c) => c.name === 'topology',
            )?.detail;
            return (
              readyz.status === 503 &&
              detail === `${missing}: declare the topology with the administrative NATS identity (npm run nats:topology)`
            );
          },
          { description: `${app.app} unready, naming the missing topology`, timeoutMs: 15_000 },
        );
      }
      // `npm run nats:topology`'s program, as admin: what it declared, then nothing the second time.
      const first = await nats.declareTopology();
      expect(first).toContain('stream ORDERS: created\n');
      expect(first).toContain('consumer ORDERS/fulfilment: created\n');
      expect(first).toContain('consumer ORDERS/fulfilment-v2: created\n');
      expect(first).toContain('consumer ORDERS_MAX_DELIVERIES/dead-letters: created\n');
      expect((await nats.declareTopology()).match(/: unchanged$/gm)).toHaveLength(6);
      await orders.waitForStatus('/readyz', 200, 30_000);
      await fulfilment.waitForStatus('/readyz', 200, 30_000);
      // The gateway has no NATS identity at all: it never connects to NATS.
      const api = await AppProcess.start('gateway', { env: { ORDER_URL: orders.url } });
      gateway = api;

      const id = await orderFulfilled(api, 'accounts-1', 'the order fulfilled through the services running as their users');
      // A retry with the same key is answered from the stored order (its orders.created read back under order's permissions).
      const replay = await fetch(`${api.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'accounts-1' },
        body: JSON.stringify({ sku: 'SEC-1', qty: 2 }),
      });
      expect(((await replay.json()) as { id: string }).id).toBe(id);

      // A GET reads the order's subjects by direct get under order's permissions (checked above
      // through the fulfilled status). Poison on orders.created.<id>: the fulfilment consumer
      // dead-letters it under its own user.
      await jetstream(await connectAs('order')).publish('orders.created.poison-1', 'garbage{');
      const deadLettered = (app: AppProcess, component: string) =>
        app.logs().some((l) => l['msg'] === 'message dead-lettered' && l['component'] === component);
      await waitFor(() => deadLettered(fulfilment, 'consumer:fulfilment'), {
        description: 'the consumer to dead-letter the poison message',
      });
      const jsm = await jetstreamManager(await connectAs('admin'));
      expect((await jsm.streams.info('ORDERS_DLQ')).state.messages).toBe(1);

      // Every subject the whole flow used is allowed: not one refusal, waiting included.
      expect(violations()).toEqual([]);
      for (const app of [orders, fulfilment]) {
        const connection = ((await app.get('/readyz')).body as { components: Array<{ name: string; detail?: string }> }).components.find(
          (c) => c.name === 'nats',
        );
        expect(connection?.detail).toMatch(/^connected to /);
      }
      // The passwords never reach a log line, even at trace level.
      for (const user of ['order', 'consumer', 'all-in-one'] as const) {
        for (const app of [orders, fulfilment, api]) expect(app.process.output()).not.toContain(nats.user(user).pass);
      }
    });

    it('consumer may not publish orders.created: Publisher fails at once naming the subject', async () => {
      const publisher = new Publisher(await componentAs('consumer'));
      const started = Date.now();
      const attempt = publisher.publish(
        OrderEvents.created,
        {
          eventVersion: 1,
          orderId: '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d',
          sku: 'X-1',
          qty: 1,
          createdAt: new Date().toISOString(),
          serviceVersion: 'v1',
        },
        { subject: 'orders.created.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d', msgId: 'forged-created' },
      );
      await expect(attempt).rejects.toBeInstanceOf(EventNotStoredError);
      await expect(attempt).rejects.toThrow('the NATS user may not publish to "orders.created.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d"');
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    it('order may not publish orders.fulfilled: Publisher fails at once naming the subject', async () => {
      const publisher = new Publisher(await componentAs('order'));
      const attempt = publisher.publish(
        OrderEvents.fulfilled,
        { eventVersion: 1, orderId: '0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d', fulfilledAt: new Date().toISOString() },
        { subject: 'orders.fulfilled.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d', msgId: 'forged-fulfilled' },
      );
      await expect(attempt).rejects.toThrow(
        'event on orders.fulfilled.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d was not stored: the NATS user may not publish to "orders.fulfilled.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d"',
      );
    });

    it('order may listen to one order’s orders.fulfilled, and to nothing else of the stream', async () => {
      const nc = await connectAs('order');
      const allowed = nc.subscribe('orders.fulfilled.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d');
      for (const subject of ['orders.created.*', 'orders.>', 'dlq.orders.>', '_INBOX.consumer.>']) {
        const closed = await nc.subscribe(subject).closed;
        expect(closed).toBeInstanceOf(PermissionViolationError);
        expect((closed as PermissionViolationError).subject).toBe(subject);
      }
      await nc.flush();
      expect(allowed.isClosed()).toBe(false);
    });

    it('order may not pull the fulfilment consumer: ConsumerRunner reports the refused subject and handles nothing', async () => {
      const handled: unknown[] = [];
      const runner = new ConsumerRunner({
        name: 'stolen-fulfilment',
        connection: await componentAs('order'),
        consumer: Topology.fulfilmentConsumer,
        event: OrderEvents.created,
        handler: async (event) => void handled.push(event),
      });
      components.push(runner);
      await runner.start(context());
      await waitFor(() => /may not publish to "\$JS\.API\.CONSUMER\.INFO\.ORDERS\.fulfilment"/.test(runner.health().detail ?? ''), {
        description: `the runner naming the refused subject (detail: ${runner.health().detail})`,
      });
      expect(runner.health().ready).toBe(false);
      expect(handled).toEqual([]);
    });

    it('consumer may not read, change or delete what it does not own, nor listen to events or to order’s replies', async () => {
      const nc = await connectAs('consumer');
      const jsm = await jetstreamManager(nc);
      const denied = async (operation: Promise<unknown>, subject: string) => {
        const error = await operation.then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect(error?.cause ?? error).toBeInstanceOf(PermissionViolationError);
        expect(((error?.cause ?? error) as PermissionViolationError).subject).toBe(subject);
      };
      await denied(jsm.streams.delete('ORDERS'), '$JS.API.STREAM.DELETE.ORDERS');
      await denied(jsm.streams.purge('ORDERS'), '$JS.API.STREAM.PURGE.ORDERS');
      await denied(jsm.streams.update('ORDERS', { max_msgs: 1 }), '$JS.API.STREAM.UPDATE.ORDERS');
      // Reading orders by subject is order's (direct get). consumer reads ORDERS by sequence
      // from the leader only for a message that reached max_deliver (docs/security.md).
      await denied(jsm.direct.getMessage('ORDERS', { last_by_subj: 'orders.created.x' }), '$JS.API.DIRECT.GET.ORDERS.orders.created.x');
      for (const subject of ['orders.>', '_INBOX.order.>']) {
        const closed = await nc.subscribe(subject).closed;
        expect(closed).toBeInstanceOf(PermissionViolationError);
        expect((closed as PermissionViolationError).subject).toBe(subject);
      }
      // order may not delete either: nobody may.
      await denied(
        jetstreamManager(await connectAs('order')).then((m) => m.streams.delete('ORDERS')),
        '$JS.API.STREAM.DELETE.ORDERS',
      );
    });

    it('no service may declare, change, purge or delete streams and consumers; the services still work afterwards', async () => {
      const denied = async (operation: Promise<unknown>, subject: string) => {
        const error = await operation.then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        expect({ subject, refused: (error?.cause ?? error) instanceof PermissionViolationError }).toEqual({ subject, refused: true });
        expect(((error?.cause ?? error) as PermissionViolationError).subject).toBe(subject);
      };
      for (const user of ['order', 'consumer'] as const) {
        const jsm = await jetstreamManager(await connectAs(user));
        await denied(jsm.streams.update('ORDERS', { max_msgs: 1 }), '$JS.API.STREAM.UPDATE.ORDERS');
        await denied(jsm.streams.purge('ORDERS'), '$JS.API.STREAM.PURGE.ORDERS');
        await denied(jsm.consumers.delete('ORDERS', 'fulfilment'), '$JS.API.CONSUMER.DELETE.ORDERS.fulfilment');
        await denied(jsm.streams.add({ name: 'ORDERS_COPY', subjects: ['copy.>'] }), '$JS.API.STREAM.CREATE.ORDERS_COPY');
        // A consumer update is a create of the same durable: re-pointing or loosening it is refused.
        await denied(
          jsm.consumers.add('ORDERS', {
            durable_name: 'fulfilment',
            filter_subject: 'orders.created.*',
            ack_policy: AckPolicy.Explicit,
            max_deliver: 1,
          }),
          '$JS.API.CONSUMER.CREATE.ORDERS.fulfilment.orders.created.*',
        );
        await denied(jsm.streams.delete('ORDERS_DLQ'), '$JS.API.STREAM.DELETE.ORDERS_DLQ');
      }
      // Nothing changed: the limits are still the declaration's, and an order still goes through.
      const admin = await jetstreamManager(await connectAs('admin'));
      const ordersConfig = (await admin.streams.info('ORDERS')).config;
      expect([ordersConfig.max_msgs, ordersConfig.max_bytes]).toEqual([-1, Topology.ordersStream.maxBytes]);
      expect((await admin.consumers.info('ORDERS', 'fulfilment')).config.max_deliver).toBe(Topology.fulfilmentConsumer.maxDeliver);
      await orderFulfilled(gateway as AppProcess, 'accounts-after-refusals', 'an order fulfilled after the refused changes');
    });

    it('an unknown user, a wrong password and a client without credentials (the gateway) are refused at connect', async () => {
      const refused = async (options: Record<string, string>) =>
        connect({ servers: nats.url, timeout: 3_000, ...options }).then(
          async (nc) => {
            await nc.close();
            return undefined;
          },
          (e: unknown) => e,
        );
      expect(await refused({ user: 'intruder', pass: 'p0' })).toBeInstanceOf(AuthorizationError);
      expect(await refused({ user: 'order', pass: nats.user('consumer').pass })).toBeInstanceOf(AuthorizationError);
      expect(await refused({})).toBeInstanceOf(AuthorizationError);
      const anonymous = new NatsConnectionComponent({ servers: [nats.url], clientName: 'gateway-like' });
      components.push(anonymous);
      await anonymous.start(context());
      await waitFor(
        () => /Authorization Violation: the server requires credentials and none were given/.test(anonymous.health().detail ?? ''),
        {
          description: `the component naming the refusal (detail: ${anonymous.health().detail})`,
        },
      );
      expect(anonymous.health().ready).toBe(false);
    });

    it('the server logged every refusal with user and subject', () => {
      const lines = violations();
      for (const [kind, user, subject] of [
        ['Publish', 'consumer', 'orders.created.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d'],
        ['Publish', 'order', 'orders.fulfilled.0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d'],
        ['Publish', 'order', '$JS.API.CONSUMER.INFO.ORDERS.fulfilment'],
        ['Publish', 'consumer', '$JS.API.STREAM.DELETE.ORDERS'],
        ['Publish', 'order', '$JS.API.STREAM.UPDATE.ORDERS'],
        ['Publish', 'order', '$JS.API.STREAM.PURGE.ORDERS'],
        ['Publish', 'order', '$JS.API.CONSUMER.DELETE.ORDERS.fulfilment'],
        ['Subscription', 'consumer', '_INBOX.order.>'],
      ] as const) {
        expect({ kind, user, subject, logged: lines.some(refusal(kind, user, subject)) }).toMatchObject({ logged: true });
      }
      expect(lines.join('\n')).toContain('authentication error - User "intruder"');
    });
  });
});
