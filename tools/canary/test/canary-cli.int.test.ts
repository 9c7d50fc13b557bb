import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { freePort, NatsServer } from '@tandem/testing';
import { MessageSplitFailedError } from '../src/canary-errors';
import { MessageSplit } from '../src/message-split';
import { runCanary } from '../src/run-canary';

/**
 * The whole command (runCanary = main.ts minus process.exit) on temporary copies of the
 * real deploy/istio manifests: every command, every refusal (exit code, message, file
 * byte for byte unchanged), and --apply.
 */
const REPO = join(__dirname, '..', '..', '..');
const VS = 'deploy/istio/order-virtualservice.yaml';
const DR = 'deploy/istio/order-destinationrule.yaml';

let root: string;
let vsPath: string;
let drPath: string;
let original: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'canary-cli-'));
  vsPath = join(root, VS);
  drPath = join(root, DR);
  await mkdir(join(root, 'deploy/istio'), { recursive: true });
  await copyFile(join(REPO, VS), vsPath);
  await copyFile(join(REPO, DR), drPath);
  original = await readFile(vsPath, 'utf8');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function canary(
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCanary(argv, {
    cwd: root,
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

/** `text` with `from` replaced; throws if `from` is not in it, so a case never runs on the unbroken file. */
function variant(text: string, from: string | RegExp, to: string): string {
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`manifest has no ${String(from)}`);
  return changed;
}

/** Lines of `after` that differ from `before`, as [before, after] pairs; both must have as many lines. */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i): [string, string][] => (line === b[i] ? [] : [[line, b[i]]]));
}

describe('npm run canary', () => {
  it('status prints the weight of each subset of the weighted route', async () => {
    expect(await canary(['status'])).toEqual({
      code: 0,
      stdout: `order: v1 90%, v2 10%  (${VS})\norders.created: not read (NATS_URL is not set)\n`,
      stderr: '',
    });
    expect(await readFile(vsPath, 'utf8')).toBe(original);
  });

  it('set 30 changes only the weight lines of the split routes (weighted, and events), keeping every comment and the header routes', async () => {
    expect(await canary(['set', '30'])).toEqual({
      code: 0,
      stdout: `order: canary weight v1 90% → 70%, v2 10% → 30%  (${VS})\n`,
      stderr: 'canary: orders.created: not moved (NATS_URL is not set; only the file changed)\n',
    });
    expect(changedLines(original, await readFile(vsPath, 'utf8'))).toEqual([
      ['          weight: 90', '          weight: 70'],
      ['          weight: 10', '          weight: 30'],
      ['          weight: 90', '          weight: 70'],
      ['          weight: 10', '          weight: 30'],
    ]);
    expect((await canary(['status'])).stdout).toBe(`order: v1 70%, v2 30%  (${VS})\norders.created: not read (NATS_URL is not set)\n`);
  });

  it('promote sends all traffic to v2 and abort all back to v1', async () => {
    expect((await canary(['promote'])).stdout).toBe(`order: canary weight v1 90% → 0%, v2 10% → 100%  (${VS})\n`);
    expect(changedLines(original, await readFile(vsPath, 'utf8'))).toEqual([
      ['          weight: 90', '          weight: 0'],
      ['          weight: 10', '          weight: 100'],
      ['          weight: 90', '          weight: 0'],
      ['          weight: 10', '          weight: 100'],
    ]);
    expect((await canary(['abort'])).stdout).toBe(`order: canary weight v1 0% → 100%, v2 100% → 0%  (${VS})\n`);
    expect(changedLines(original, await readFile(vsPath, 'utf8'))).toEqual([
      ['          weight: 90', '          weight: 100'],
      ['          weight: 10', '          weight: 0'],
      ['          weight: 90', '          weight: 100'],
      ['          weight: 10', '          weight: 0'],
    ]);
  });

  it('says so when a change changes nothing, and does not rewrite the file', async () => {
    const before = await stat(vsPath);
    expect(await canary(['set', '10'])).toEqual({
      code: 0,
      stdout: `order: canary weight unchanged, v1 90%, v2 10%  (${VS})\n`,
      stderr: 'canary: orders.created: not moved (NATS_URL is not set; only the file changed)\n',
    });
    const after = await stat(vsPath);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('resolves --file against INIT_CWD (where npm was run), else against the working directory', async () => {
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    await copyFile(vsPath, join(elsewhere, 'vs.yaml'));
    await copyFile(drPath, join(elsewhere, 'order-destinationrule.yaml'));
    expect((await canary(['set', '40', '--file', 'vs.yaml'], { INIT_CWD: elsewhere })).stdout).toBe(
      'order: canary weight v1 90% → 60%, v2 10% → 40%  (vs.yaml)\n',
    );
    expect((await canary(['status', '--file', 'elsewhere/vs.yaml'])).stdout).toBe(
      'order: v1 60%, v2 40%  (elsewhere/vs.yaml)\norders.created: not read (NATS_URL is not set)\n',
    );
    expect(await readFile(vsPath, 'utf8')).toBe(original);
  });

  it('prints the usage for --help', async () => {
    const { code, stdout } = await canary(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run canary -- <command> \[options\]/);
  });

  describe('refuses a bad command line with exit code 2, writing nothing', () => {
    it.each<[string[], string]>([
      [['set', '150'], 'set expects the v2 percentage as an integer 0..100, got "150"'],
      [['set', '-1'], 'set expects the v2 percentage as an integer 0..100, got "-1"'],
      [['set', 'abc'], 'set expects the v2 percentage as an integer 0..100, got "abc"'],
      [['set', '10.5'], 'set expects the v2 percentage as an integer 0..100, got "10.5"'],
      [['set'], 'set expects the v2 percentage, an integer 0..100 (e.g. set 30)'],
      [[], 'missing command: status, set <v2-percent>, promote or abort'],
      [['rollout'], 'unknown command "rollout": expected status, set <v2-percent>, promote or abort'],
      [['promote', '--force'], 'unknown option "--force"'],
    ])('%j', async (argv, message) => {
      expect(await canary(argv)).toEqual({
        code: 2,
        stdout: '',
        stderr: `canary: ${message}\nRun "npm run canary -- --help" for usage.\n`,
      });
      expect(await readFile(vsPath, 'utf8')).toBe(original);
    });
  });

  describe('refuses a VirtualService in an unexpected shape with exit code 1, naming file and field, writing nothing', () => {
    const V2_DESTINATION = /host: order\.tandem\.svc\.cluster\.local\n {12}subset: v2\n {10}weight: 10/;
    it.each<[string, (text: string) => string, string]>([
      ['unparseable YAML', (t) => variant(t, 'kind: VirtualService', 'kind: [VirtualService'), 'not valid YAML: '],
      ['not a VirtualService', (t) => variant(t, 'kind: VirtualService', 'kind: Service'), 'kind: expected VirtualService, got "Service"'],
      [
        'not named order',
        (t) => variant(t, /name: order\n/, 'name: gateway\n'),
        'metadata.name: expected "order" (the VirtualService the canary edits), got "gateway"',
      ],
      [
        'no route named weighted',
        (t) => variant(t, '- name: weighted', '- name: split'),
        'spec.http: no route named "weighted" (the route whose weights are the canary)',
      ],
      [
        'three destinations',
        (t) =>
          variant(
            t,
            /weight: 10\n/,
            'weight: 10\n        - destination:\n            host: order.tandem.svc.cluster.local\n            subset: v3\n          weight: 0\n',
          ),
        'spec.http[1].route: has 3 destinations, expected exactly 2 (subsets v1 and v2)',
      ],
      [
        'an unknown subset',
        (t) => variant(t, V2_DESTINATION, 'host: order.tandem.svc.cluster.local\n            subset: canary\n          weight: 10'),
        'spec.http[1].route[1].destination.subset: unknown subset "canary" (expected v1 or v2)',
      ],
      [
        'a duplicate subset',
        (t) => variant(t, V2_DESTINATION, 'host: order.tandem.svc.cluster.local\n            subset: v1\n          weight: 10'),
        'spec.http[1].route[1].destination.subset: duplicate subset "v1" (also at spec.http[1].route[0].destination.subset)',
      ],
      [
        'a destination on another host',
        (t) => variant(t, V2_DESTINATION, 'host: order-canary.tandem.svc.cluster.local\n            subset: v2\n          weight: 10'),
        'spec.http[1].route[1].destination.host: host "order-canary.tandem.svc.cluster.local" differs from "order.tandem.svc.cluster.local" at spec.http[1].route[0].destination.host',
      ],
      [
        'a weight that is not an integer',
        (t) => variant(t, 'weight: 90', 'weight: 89.5'),
        'spec.http[1].route[0].weight: expected an integer 0..100, got 89.5',
      ],
      [
        'weights not summing to 100',
        (t) => variant(t, 'weight: 90', 'weight: 80'),
        'spec.http[1].route: weights add up to 90 (v1 80 + v2 10), expected 100',
      ],
    ])('%s', async (_case, breakIt, message) => {
      const broken = breakIt(original);
      await writeFile(vsPath, broken);
      for (const argv of [['status'], ['set', '30'], ['promote']]) {
        const { code, stdout, stderr } = await canary(argv);
        expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
        expect(stderr.startsWith(`canary: ${VS}: ${message}`)).toBe(true);
        expect(await readFile(vsPath, 'utf8')).toBe(broken);
      }
    });

    it('a missing file', async () => {
      await unlink(vsPath);
      expect(await canary(['set', '30'])).toEqual({ code: 1, stdout: '', stderr: `canary: ${VS}: file not found\n` });
    });

    it('a subset the DestinationRule beside it does not define', async () => {
      await writeFile(drPath, variant(await readFile(drPath, 'utf8'), /\n {4}- name: v2\n.*\n.*\n/, '\n'));
      expect(await canary(['set', '30'])).toEqual({
        code: 1,
        stdout: '',
        stderr: `canary: ${VS}: spec.http[3].route[1].destination.subset: subset "v2" is not defined in ${DR} (its spec.subsets has "v1")\n`,
      });
      expect(await readFile(vsPath, 'utf8')).toBe(original);
    });

    it('a subset the DestinationRule named by --destination-rule does not define', async () => {
      await writeFile(join(root, 'other-dr.yaml'), variant(await readFile(drPath, 'utf8'), /\n {4}- name: v1\n.*\n.*\n/, '\n'));
      const { code, stderr } = await canary(['promote', '--destination-rule', 'other-dr.yaml']);
      expect(code).toBe(1);
      expect(stderr).toBe(
        `canary: ${VS}: spec.http[3].route[0].destination.subset: subset "v1" is not defined in other-dr.yaml (its spec.subsets has "v2")\n`,
      );
      expect(await readFile(vsPath, 'utf8')).toBe(original);
    });

    it('a --destination-rule that does not exist', async () => {
      expect(await canary(['promote', '--destination-rule', 'nope.yaml'])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'canary: nope.yaml: file not found\n',
      });
      expect(await readFile(vsPath, 'utf8')).toBe(original);
    });
  });

  it('edits without a DestinationRule beside the VirtualService when not applying', async () => {
    await unlink(drPath);
    expect((await canary(['set', '20'])).code).toBe(0);
    expect(changedLines(original, await readFile(vsPath, 'utf8'))).toHaveLength(4);
  });

  describe('--apply', () => {
    // No Kubernetes cluster can run on this machine, so kubectl is replaced by a script
    // that records its arguments (CONVENTIONS.md: mock only what cannot run here).
    // The message split moves with it, on a real nats-server with Tandem's users and topology.
    let nats: NatsServer;
    let admin: Record<string, string>;
    beforeAll(async () => {
      nats = await NatsServer.start({ accounts: true });
      admin = nats.clientEnv('admin');
    });
    afterAll(async () => {
      await nats?.cleanup();
    });
    let bin: string;
    let log: string;
    beforeEach(async () => {
      bin = join(root, 'bin');
      log = join(root, 'kubectl.log');
      await mkdir(bin);
      const fake = join(bin, 'kubectl');
      await writeFile(
        fake,
        [
          '#!/bin/sh',
          'printf "%s\\n" "$*" >> "$FAKE_KUBECTL_LOG"',
          'case "$1" in',
          '  config) echo kind-tandem ;;',
          '  version) if [ -n "$FAKE_KUBECTL_UNREACHABLE" ]; then echo "The connection to the server 127.0.0.1:6443 was refused" >&2; exit 1; fi ;;',
          '  apply) if [ "$3" = "$FAKE_KUBECTL_FAIL_APPLY" ]; then echo "error: admission webhook denied the request" >&2; exit 1; fi ;;',
          'esac',
          'exit 0',
          '',
        ].join('\n'),
      );
      await chmod(fake, 0o755);
    });
    const calls = async (): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);

    it('writes the file, then applies the DestinationRule before the VirtualService', async () => {
      const result = await canary(['set', '30', '--apply'], { PATH: bin, FAKE_KUBECTL_LOG: log, ...admin });
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')).toEqual([
        `order: canary weight v1 90% → 70%, v2 10% → 30%  (${VS})`,
        `order: applied ${DR}, then ${VS}, with kubectl (context "kind-tandem")`,
        expect.stringMatching(/^orders\.created: canary weight v1 \d+% → 70%, v2 \d+% → 30% {2}\(ORDERS, from sequence \d+\)$/),
        '',
      ]);
      // No fulfilment v2 runs here: its share would wait, and the CLI says so.
      expect(result.stderr).toBe(
        'canary: warning: no fulfilment v2 is pulling from ORDERS/fulfilment-v2 right now: its share of the orders waits until one does\n',
      );
      expect(await calls()).toEqual(['config current-context', 'version --request-timeout=5s', `apply -f ${drPath}`, `apply -f ${vsPath}`]);
      expect(changedLines(original, await readFile(vsPath, 'utf8'))).toHaveLength(4);
    });

    it('refuses with exit code 3 and writes nothing when there is no kubectl on PATH', async () => {
      const empty = join(root, 'empty-bin');
      await mkdir(empty);
      expect(await canary(['promote', '--apply'], { PATH: empty, ...admin })).toEqual({
        code: 3,
        stdout: '',
        stderr:
          'canary: --apply needs kubectl, but no kubectl was found on PATH. Nothing was changed; run without --apply to edit the file only.\n',
      });
      expect(await readFile(vsPath, 'utf8')).toBe(original);
    });

    it('refuses with exit code 3 and writes nothing when kubectl cannot reach the cluster', async () => {
      const result = await canary(['promote', '--apply'], { PATH: bin, FAKE_KUBECTL_LOG: log, FAKE_KUBECTL_UNREACHABLE: '1', ...admin });
      expect(result).toEqual({
        code: 3,
        stdout: '',
        stderr:
          'canary: --apply needs a reachable cluster, but kubectl (context "kind-tandem") cannot reach one: "The connection to the server 127.0.0.1:6443 was refused". ' +
          'Nothing was changed; run without --apply to edit the file only.\n',
      });
      expect(await readFile(vsPath, 'utf8')).toBe(original);
      expect((await calls()).filter((c) => c.startsWith('apply'))).toEqual([]);
    });

    it('refuses with exit code 1, before calling kubectl, when there is no DestinationRule to apply first', async () => {
      await unlink(drPath);
      const { code, stderr } = await canary(['promote', '--apply'], { PATH: bin, FAKE_KUBECTL_LOG: log, ...admin });
      expect(code).toBe(1);
      expect(stderr).toBe(
        `canary: ${DR}: file not found; --apply applies the DestinationRule beside the VirtualService first (or pass --destination-rule <path>)\n`,
      );
      expect(await readFile(vsPath, 'utf8')).toBe(original);
      expect(await calls()).toEqual([]);
    });

    it('exits 4 naming what was applied when kubectl apply fails after the file was written', async () => {
      const { code, stdout, stderr } = await canary(['set', '50', '--apply'], {
        PATH: bin,
        FAKE_KUBECTL_LOG: log,
        FAKE_KUBECTL_FAIL_APPLY: vsPath,
        ...admin,
      });
      expect(code).toBe(4);
      expect(stdout).toBe(`order: canary weight v1 90% → 50%, v2 10% → 50%  (${VS})\n`);
      expect(stderr).toBe(
        `canary: kubectl apply -f ${VS} failed: "error: admission webhook denied the request" (already applied: ${DR}). ` +
          'The file is written but the cluster is not up to date: fix the cause and run the command again with --apply.\n',
      );
      // The message split did not move: the cluster did not take the HTTP split.
      const status = await canary(['status'], admin);
      expect(status.stdout.split('\n')[0]).toBe(`order: v1 50%, v2 50%  (${VS})`);
      expect(status.stdout.split('\n')[1]).not.toMatch(/^orders\.created: v1 50%, v2 50%/);
      expect(status.stderr).toContain('HTTP and orders.created are split differently');
    });
  });

  it('refuses with exit code 2, changing nothing, without NATS_URL: HTTP never moves alone', async () => {
    // (checked before kubectl: without one on PATH this would otherwise be exit 3)
    const result = await canary(['abort', '--apply'], { PATH: join(root, 'no-bin') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('canary: --apply moves the HTTP split and the message split together: set NATS_URL');
    expect(await readFile(vsPath, 'utf8')).toBe(original);
  });

  describe('the message split (real nats-server with Tandem’s users and topology)', () => {
    let nats: NatsServer;
    let admin: Record<string, string>;
    beforeAll(async () => {
      nats = await NatsServer.start({ accounts: true });
      admin = nats.clientEnv('admin');
    });
    afterAll(async () => {
      await nats?.cleanup();
    });
    const lastSplit = async () => {
      const nc = await connect({ servers: nats.url, ...nats.user('admin') });
      try {
        return await (await jetstreamManager(nc)).streams.getMessage('ORDERS', { last_by_subj: 'orders.canary.fulfilment' });
      } finally {
        await nc.close();
      }
    };

    it('status reads both splits; set moves both, writing one split message that outlives max_age; an unchanged one writes none; abort moves both back', async () => {
      const first = await canary(['status'], admin);
      expect(first.stdout).toBe(
        `order: v1 90%, v2 10%  (${VS})\n` +
          `orders.created: v1 100%, v2 0%  (no split written in ORDERS yet: all to v1; NATS ${nats.url})\n` +
          'fulfilment-v2: 0 pending, 0 unacknowledged, 0 pull(s) waiting\n',
      );
      expect(first.stderr).toBe(
        'canary: warning: HTTP and orders.created are split differently; "set <v2-percent>" with NATS_URL set moves both\n',
      );

      const set = await canary(['set', '25'], admin);
      expect(set.code).toBe(0);
      const stored = await lastSplit();
      expect(stored).not.toBeNull();
      expect(set.stdout).toBe(
        `order: canary weight v1 90% → 75%, v2 10% → 25%  (${VS})\n` +
          `orders.created: canary weight v1 100% → 75%, v2 0% → 25%  (ORDERS, from sequence ${stored?.seq})\n`,
      );
      expect(set.stderr).toContain('canary: note: orders.created moved on NATS now; the HTTP split changed in the file only');
      expect(stored?.header.get('Nats-TTL')).toBe('never');
      const body = stored?.json<{ weights: unknown; setBy: string; setAt: string }>();
      expect(body?.weights).toEqual({ v1: 75, v2: 25 });
      expect(body?.setBy).toMatch(/^canary set 25 \(by .+\)$/);
      const status = await canary(['status'], admin);
      expect(status.stdout.split('\n').slice(0, 2)).toEqual([
        `order: v1 75%, v2 25%  (${VS})`,
        `orders.created: v1 75%, v2 25%  (ORDERS since sequence ${stored?.seq}, set by ${body?.setBy} at ${body?.setAt})`,
      ]);
      expect(status.stderr).toBe('');

      const again = await canary(['set', '25'], admin);
      expect(again.stdout).toContain(`orders.created: canary weight unchanged, v1 75%, v2 25%  (ORDERS, since sequence ${stored?.seq})`);
      expect((await lastSplit())?.seq).toBe(stored?.seq);

      const abort = await canary(['abort'], admin);
      expect(abort.code).toBe(0);
      expect(abort.stdout).toContain('orders.created: canary weight v1 75% → 100%, v2 25% → 0%');
      expect((await lastSplit())?.json<{ weights: unknown }>().weights).toEqual({ v1: 100, v2: 0 });
    });

    it('reads a split written with fields this build does not know (a newer writer): only the weights count', async () => {
      const nc = await connect({ servers: nats.url, ...nats.user('admin') });
      try {
        const h = headers();
        h.set('Nats-TTL', 'never');
        const body = {
          eventVersion: 1,
          weights: { v1: 45, v2: 55 },
          setAt: new Date().toISOString(),
          setBy: 'a newer canary',
          reason: 'wider',
        };
        const { seq } = await jetstream(nc).publish('orders.canary.fulfilment', JSON.stringify(body), { headers: h });
        const status = await canary(['status'], admin);
        expect(status.stdout.split('\n')[1]).toBe(
          `orders.created: v1 45%, v2 55%  (ORDERS since sequence ${seq}, set by a newer canary at ${body.setAt})`,
        );
      } finally {
        await nc.close();
      }
    });

    it('refuses to write over a split written since it read one (two operators at once), naming why', async () => {
      const split = await MessageSplit.open(admin);
      if (!split) throw new Error('NATS_URL is set');
      try {
        const read = await split.read();
        const other = await canary(['set', '15'], admin); // another operator, in between
        expect(other.code).toBe(0);
        const write = split.write({ v1: 95, v2: 5 }, 'canary set 5 (by test)', read.lastOnSubject);
        await expect(write).rejects.toBeInstanceOf(MessageSplitFailedError);
        await expect(write).rejects.toThrow('another split was written since this command read it');
        expect((await lastSplit())?.json<{ weights: unknown }>().weights).toEqual({ v1: 85, v2: 15 });
      } finally {
        await split.close();
      }
    });

    it('exits 5 changing nothing when NATS cannot be reached', async () => {
      const closed = `nats://127.0.0.1:${await freePort()}`;
      const result = await canary(['set', '50'], { ...admin, NATS_URL: closed });
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(
        new RegExp(`^canary: the message split needs NATS at ${closed.replace(/[.]/g, '\\.')}, which cannot be reached`),
      );
      expect(result.stderr).toContain('Nothing was changed.');
      expect(await readFile(vsPath, 'utf8')).toBe(original);
    });

    it('exits 6 naming the administrative identity when the user may read the split but not write it', async () => {
      const result = await canary(['set', '60'], nats.clientEnv('consumer'));
      expect(result.code).toBe(6);
      expect(result.stdout).toBe(`order: canary weight v1 90% → 40%, v2 10% → 60%  (${VS})\n`);
      expect(result.stderr).toContain('canary: the HTTP split moved but the message split did not:');
      expect(result.stderr).toContain('orders.canary.fulfilment');
      expect(result.stderr).toContain('the split is written by the administrative identity (NATS_USER=admin)');
    });
  });
});
