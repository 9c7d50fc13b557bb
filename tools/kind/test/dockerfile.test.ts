import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS, workspaceRoot } from '@tandem/testing';
import { expand, parseDockerfile, stageNamed, type Instruction } from './dockerfile';
import { readObjects, workloads } from './manifests';

/**
 * What deploy/docker/Dockerfile promises, read from the file itself (no Docker engine
 * here): pinned bases, a non-root runtime with only the bundle and production packages,
 * exec-form entrypoint, no HEALTHCHECK, and agreement with the apps and the manifests.
 */
const root = workspaceRoot();
const dockerfile = parseDockerfile(join(root, 'deploy/docker/Dockerfile'));
const apps = ['gateway', 'order', 'consumer'] as const;
/** Where each app's service, and so its default port, lives. */
const SERVICE_LIBS: Record<(typeof apps)[number], string> = {
  gateway: 'gateway-service',
  order: 'order-service',
  consumer: 'fulfilment-service',
};
const runtime = stageNamed(dockerfile, 'runtime');
const cluster = workloads(readObjects(root, ['deploy/k8s/base']));
const of = (instructions: readonly Instruction[], keyword: string) => instructions.filter((i) => i.keyword === keyword);

describe('deploy/docker/Dockerfile', () => {
  it('builds in stages from one Node image pinned to the exact version in .nvmrc', () => {
    const nodeImage = dockerfile.globalArgs.get('NODE_IMAGE') ?? '';
    const nvmrc = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
    expect(nodeImage).toBe(`node:${nvmrc}-bookworm-slim`);
    expect(nvmrc).toMatch(/^24\.\d+\.\d+$/);
    expect(dockerfile.stages.map((s) => s.name)).toEqual(expect.arrayContaining(['deps', 'build', 'prod-deps', 'runtime']));
  });

  it.each(apps)('every base of the %s image is an earlier stage or a pinned image, never latest', (app) => {
    const values = new Map([...dockerfile.globalArgs, ['APP', app]]);
    const seen = new Set<string>();
    for (const stage of dockerfile.stages) {
      const base = expand(stage.from, values);
      if (!seen.has(base)) {
        expect(base).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/);
        expect(base).not.toMatch(/:latest\b/);
      }
      if (stage.name) seen.add(stage.name);
    }
  });

  it('APP chooses both the installed packages and the final stage; left unset, the build stops and says what to pass', () => {
    expect(dockerfile.globalArgs.get('APP')).toBe('unset');
    const prodDeps = stageNamed(dockerfile, 'prod-deps');
    expect(of(prodDeps.instructions, 'ARG').map((i) => i.args)).toContain('APP');
    expect(of(prodDeps.instructions, 'RUN').map((i) => i.args)).toContain('bash tools/scripts/prune-deps.sh "$APP" /out');
    expect(dockerfile.stages.at(-1)?.from).toBe('app-${APP}');

    const unset = of(stageNamed(dockerfile, 'app-unset').instructions, 'RUN')[0]?.args ?? '';
    const run = (app: string) => spawnSync('sh', ['-c', unset], { env: { APP: app }, encoding: 'utf8' });
    expect(run('unset')).toMatchObject({ status: 1, stderr: expect.stringContaining('--build-arg APP=gateway') });
    expect(run('gateway')).toMatchObject({ status: 0, stderr: '' });
  });

  it('builds every app the images are made of, from a locked install without install scripts', () => {
    const deps = stageNamed(dockerfile, 'deps');
    expect(of(deps.instructions, 'RUN').map((i) => i.args)).toContain('npm ci --ignore-scripts --no-audit --no-fund --loglevel=error');
    const build = of(stageNamed(dockerfile, 'build').instructions, 'RUN').map((i) => i.args);
    expect(build).toContain(`npx nx run-many -t build --projects=${[...apps, 'topology'].join(',')} --outputStyle=static`);
  });

  it.each(apps)(
    'the %s image starts from the runtime stage and exposes the port the app listens on by default and the manifests use',
    (app) => {
      const stage = stageNamed(dockerfile, `app-${app}`);
      expect(stage.from).toBe('runtime');
      const defaultPort = Number(
        /serviceEnvProperties\((\d+)\)/.exec(readFileSync(join(root, `libs/${SERVICE_LIBS[app]}/src/config.ts`), 'utf8'))?.[1],
      );
      expect(of(stage.instructions, 'EXPOSE').map((i) => i.args)).toEqual([String(defaultPort)]);
      const ports = cluster.flatMap((w) => w.containers.filter((c) => c.image.startsWith(`tandem/${app}:`)).flatMap((c) => c.ports ?? []));
      expect(ports.length).toBeGreaterThan(0);
      for (const port of ports) expect(port.containerPort).toBe(defaultPort);
    },
  );

  it('the runtime runs as a numeric non-root user, the one the manifests set', () => {
    const users = of(runtime.instructions, 'USER').map((i) => i.args);
    expect(users).toHaveLength(1);
    const [uid, gid] = (users[0] ?? '').split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const tandemPods = cluster.filter((w) => w.containers.some((c) => c.image.startsWith('tandem/')));
    expect(tandemPods.length).toBeGreaterThan(0);
    for (const pod of tandemPods) expect({ pod: pod.name, runAsUser: pod.runAsUser }).toEqual({ pod: pod.name, runAsUser: uid });
  });

  it('keeps the compile cache where every Tandem container has a writable emptyDir (its root filesystem is read-only)', () => {
    const dir = of(runtime.instructions, 'ENV')
      .map((i) => /^NODE_COMPILE_CACHE=(\S+)$/.exec(i.args)?.[1])
      .find((d) => d !== undefined);
    expect(dir).toMatch(/^\/\S+/);
    type Pod = {
      containers: Array<{ name: string; image: string; volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>;
      volumes?: Array<{ name: string; emptyDir?: object }>;
    };
    const pods = readObjects(root, ['deploy/k8s/base'])
      .filter((o) => o.kind === 'Deployment')
      .map((o) => ({ name: o.metadata.name, pod: (o.spec?.['template'] as { spec: Pod }).spec }))
      .filter(({ pod }) => pod.containers.some((c) => c.image.startsWith('tandem/')));
    expect(pods.map((p) => p.name).sort()).toEqual(['consumer-v1', 'consumer-v2', 'gateway', 'order-v1', 'order-v2']);
    for (const { name, pod } of pods) {
      const emptyDirs = new Set((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
      for (const container of pod.containers.filter((c) => c.image.startsWith('tandem/'))) {
        const writable = (container.volumeMounts ?? []).filter(
          (m) => emptyDirs.has(m.name) && !m.readOnly && (dir === m.mountPath || dir?.startsWith(`${m.mountPath}/`)),
        );
        expect({ workload: name, container: container.name, mounts: writable.length }).toEqual({
          workload: name,
          container: container.name,
          mounts: 1,
        });
      }
    }
  });

  it('the runtime sets NODE_ENV=production and holds only the bundle and the pruned production packages', () => {
    expect(of(runtime.instructions, 'ENV').map((i) => i.args)).toContain('NODE_ENV=production');
    const copies = of(runtime.instructions, 'COPY').map((i) => i.args);
    expect(copies).toEqual(['--from=prod-deps /out/node_modules ./node_modules', '--from=prod-deps /out/package.json /out/main.js* ./']);
    expect(of(runtime.instructions, 'ADD')).toEqual([]);
  });

  it('node is PID 1 through an exec-form ENTRYPOINT (no shell, no init in between) with the flags npm start and the bench use, and there is no HEALTHCHECK', () => {
    const entrypoints = of(runtime.instructions, 'ENTRYPOINT');
    expect(entrypoints).toHaveLength(1);
    const argv = JSON.parse(entrypoints[0]?.args ?? '') as string[];
    expect(argv).toEqual(['node', ...NODE_FLAGS, 'main.js']);
    expect(of(dockerfile.all, 'CMD')).toEqual([]);
    expect(of(dockerfile.all, 'HEALTHCHECK')).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('keeps installed packages, build output, caches, local state and git out of the build context', () => {
    expect(patterns).toEqual(expect.arrayContaining(['**/node_modules', 'dist', '**/out-tsc', 'coverage', '.nx', '.data', 'tmp', '.git']));
  });

  it('keeps what the image build needs: sources, workspace manifests, the lockfile and .npmrc', () => {
    for (const needed of [
      'apps',
      'libs',
      'tools',
      'e2e',
      'package.json',
      'package-lock.json',
      '.npmrc',
      'nx.json',
      'tsconfig.base.json',
      '*',
      '**',
    ]) {
      expect(patterns).not.toContain(needed);
    }
    expect(patterns.filter((p) => p.startsWith('!'))).toEqual([]);
  });
});
