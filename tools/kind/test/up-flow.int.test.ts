import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import { parse } from 'yaml';
import { CreateOrderRequest } from '@tandem/contracts';
import { workspaceRoot } from '@tandem/testing';
import { FakeBin, workingTools } from './fake-tools';
import { readObjects, workloads } from './manifests';

/**
 * The whole of `npm run kind:up` and `kind:down` against fake docker, kind, kubectl and
 * istioctl (no Docker engine or cluster can run where these tests run): which commands
 * run, in which order, with which arguments, and that they agree with the manifests the
 * cluster is given (deploy/k8s, deploy/observability, deploy/istio, deploy/kind).
 */
const root = workspaceRoot();
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const objects = readObjects(root, ['deploy/k8s/base', 'deploy/observability']);
const cluster = workloads(objects);
/** Images of Deployments, StatefulSets and Jobs (the topology declaration). */
const jobImages = objects
  .filter((o) => o.kind === 'Job')
  .flatMap((o) =>
    ((o.spec?.['template'] as { spec?: { containers?: Array<{ image: string }> } } | undefined)?.spec?.containers ?? []).map(
      (c) => c.image,
    ),
  );
const tandemImages = [
  ...new Set([...cluster.flatMap((w) => w.containers.map((c) => c.image)), ...jobImages].filter((i) => i.startsWith('tandem/'))),
].sort();
const workloadName = (w: { kind: string; name: string }) => `${w.kind.toLowerCase()}.apps/${w.name}`;

describe('kind:up and kind:down, with fakes for the tools that need a Docker engine', () => {
  const bins: FakeBin[] = [];
  afterAll(() => bins.forEach((b) => b.cleanup()));
  /** A machine with working tools and no cluster yet; the "cluster" runs the manifests' workloads once applied. */
  const machine = (): FakeBin => {
    const b = workingTools(new FakeBin(['cat', 'mktemp', 'rm', 'sleep', 'od', 'tr']));
    bins.push(b);
    b.setState('next-image-id', 'sha256:aaaa');
    for (const ns of ['tandem', 'observability']) {
      b.setState(
        `workloads-${ns}`,
        cluster
          .filter((w) => w.namespace === ns)
          .map(workloadName)
          .join('\n'),
      );
    }
    return b;
  };
  const indexOf = (calls: readonly string[], prefix: string): number => {
    const i = calls.findIndex((c) => c.startsWith(prefix));
    if (i < 0) throw new Error(`no call starting with "${prefix}" in:\n${calls.join('\n')}`);
    return i;
  };

  it('the manifests name the four images (three services and the topology Job), tagged with the root package.json version', () => {
    expect(tandemImages).toEqual([
      `tandem/consumer:${version}`,
      `tandem/gateway:${version}`,
      `tandem/order:${version}`,
      `tandem/topology:${version}`,
    ]);
  });

  it('a first run builds every tandem image, creates the cluster, installs Istio, loads the images, applies the kind overlay and waits for every workload', () => {
    const result = machine().run('up.sh');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { calls } = result;

    const create = indexOf(calls, 'kind create cluster --name tandem --config deploy/kind/cluster.yaml');
    const install = indexOf(calls, 'istioctl install --context kind-tandem -y -f deploy/istio/install/istio-operator.yaml');
    const builds = calls.filter((c) => c.startsWith('docker buildx build '));
    const load = indexOf(calls, `kind load docker-image --name tandem ${builds.map((b) => /-t (\S+)/.exec(b)?.[1]).join(' ')}`);
    const apply = indexOf(calls, 'kubectl --context kind-tandem apply -k deploy/k8s/overlays/kind');
    // Images first: a failed build leaves the cluster as it was.
    expect(calls.lastIndexOf(builds.at(-1) ?? '')).toBeLessThan(create);
    expect(create).toBeLessThan(install);
    expect(install).toBeLessThan(load);
    expect(load).toBeLessThan(apply);
    // KEDA after Istio, its CRDs established before the manifests that use them, its operator alone put in the mesh.
    const keda = indexOf(
      calls,
      'kubectl --context kind-tandem apply --server-side -f https://github.com/kedacore/keda/releases/download/v',
    );
    const crd = indexOf(calls, 'kubectl --context kind-tandem wait --for condition=established --timeout 60s crd/scaledobjects.keda.sh');
    const inject = indexOf(calls, 'kubectl --context kind-tandem -n keda patch deployment keda-operator --type=merge');
    expect(calls[inject]).toContain('"sidecar.istio.io/inject":"true"');
    expect(install).toBeLessThan(keda);
    expect(keda).toBeLessThan(crd);
    expect(crd).toBeLessThan(inject);
    expect(inject).toBeLessThan(apply);

    expect(builds.map((b) => /-t (\S+)/.exec(b)?.[1]).sort()).toEqual(tandemImages);
    for (const build of builds) {
      const app = /-t tandem\/([a-z]+):/.exec(build)?.[1];
      expect(build).toBe(
        `docker buildx build --load -f deploy/docker/Dockerfile --build-arg APP=${app} --build-arg VERSION=${version} -t tandem/${app}:${version} .`,
      );
    }

    // The topology Job is run again at every kind:up (its spec cannot change in place), and
    // waited for before the workloads, which are ready only once it has declared the topology.
    const deleteJob = indexOf(calls, 'kubectl --context kind-tandem -n tandem delete job nats-topology --ignore-not-found');
    // apply never prunes: the pre-canary fulfilment Deployment and its HPA are deleted by name first.
    expect(
      indexOf(
        calls,
        'kubectl --context kind-tandem -n tandem delete deployment/consumer horizontalpodautoscaler/consumer horizontalpodautoscaler/consumer-v1 --ignore-not-found',
      ),
    ).toBeLessThan(apply);
    const waitJob = indexOf(calls, 'kubectl --context kind-tandem -n tandem get job nats-topology -o jsonpath=');
    expect(deleteJob).toBeLessThan(apply);
    expect(waitJob).toBeGreaterThan(apply);
    // (KEDA's operator is waited for where it is installed, before the manifests)
    const waits = calls.filter((c) => c.includes(' rollout status ') && !c.includes(' -n keda '));
    expect(Math.min(...waits.map((w) => calls.indexOf(w)))).toBeGreaterThan(waitJob);
    expect(waits.sort()).toEqual(
      cluster.map((w) => `kubectl --context kind-tandem -n ${w.namespace} rollout status ${workloadName(w)} --timeout 300s`).sort(),
    );
    expect(Math.min(...waits.map((w) => calls.indexOf(w)))).toBeGreaterThan(apply);
    // Never the user's current context: every cluster call names the kind cluster's.
    expect(
      calls.filter((c) => /^(kubectl|istioctl) /.test(c) && !/ (version)( |$)/.test(c)).every((c) => c.includes('--context kind-tandem')),
    ).toBe(true);
    // (no Tandem workload patched or restarted on a first run; KEDA's operator gets its sidecar label)
    expect(calls.some((c) => (c.includes(' patch ') && !c.includes(' -n keda ')) || c.includes(' rollout restart '))).toBe(false);
  });

  it('creates one NATS user Secret per user (admin, order, consumer) and the order-id Secret with random values before the manifests, once', () => {
    const b = machine();
    const first = b.run('up.sh');
    expect(first.status).toBe(0);
    const namespace = indexOf(first.calls, 'kubectl --context kind-tandem apply -f deploy/k8s/base/namespace.yaml');
    const creates = ['admin', 'order', 'consumer'].map((user) =>
      indexOf(
        first.calls,
        `kubectl --context kind-tandem -n tandem create secret generic nats-user-${user} --from-file=password=/dev/stdin`,
      ),
    );
    const apply = indexOf(first.calls, 'kubectl --context kind-tandem apply -k deploy/k8s/overlays/kind');
    for (const create of creates) {
      expect(create).toBeGreaterThan(namespace);
      expect(create).toBeLessThan(apply);
    }
    const passwords = ['order', 'consumer', 'admin'].map((user) => readFileSync(join(b.state, `secret-nats-user-${user}`), 'utf8'));
    for (const password of passwords) expect(password).toMatch(/^p[0-9a-f]{48}$/);
    expect(new Set(passwords).size).toBe(3);
    // The manifests read exactly these Secrets.
    const secretRefs = JSON.stringify(readObjects(root, ['deploy/k8s/base']));
    expect(secretRefs).toContain('"nats-user-order"');
    expect(secretRefs).toContain('"nats-user-consumer"');
    expect(secretRefs).toContain('"nats-user-admin"');
    // and the key of order ids, created once the same way, 64 hex digits
    const orderIdSecret = indexOf(
      first.calls,
      'kubectl --context kind-tandem -n tandem create secret generic order-id-secret --from-file=secret=/dev/stdin',
    );
    expect(orderIdSecret).toBeGreaterThan(namespace);
    expect(orderIdSecret).toBeLessThan(apply);
    expect(readFileSync(join(b.state, 'secret-order-id-secret'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    expect(secretRefs).toContain('"order-id-secret"');

    const second = b.run('up.sh');
    expect(second.status).toBe(0);
    expect(second.calls.some((c) => c.includes(' create secret '))).toBe(false);
    expect(readFileSync(join(b.state, 'secret-nats-user-order'), 'utf8')).toBe(passwords[0]);
  });

  it('prints the ingress URL published by deploy/kind/cluster.yaml, a valid POST /orders example, the canary header and how to open Jaeger', () => {
    const { stdout } = machine().run('up.sh');
    const kind = parse(readFileSync(join(root, 'deploy/kind/cluster.yaml'), 'utf8')) as {
      nodes: Array<{ extraPortMappings?: Array<{ hostPort: number; listenAddress: string }> }>;
    };
    const mapping = kind.nodes.flatMap((n) => n.extraPortMappings ?? [])[0];
    const url = `http://${mapping?.listenAddress}:${mapping?.hostPort}`;
    expect(stdout).toContain(`curl -s -X POST ${url}/orders`);
    const bodies = [...stdout.matchAll(/-d '([^']+)'/g)].map((m) => JSON.parse(m[1] ?? '') as unknown);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) expect(Value.Errors(CreateOrderRequest, body)).toEqual([]);
    expect(stdout).toContain("-H 'x-canary: always'");
    expect(stdout).toContain("-H 'idempotency-key: demo-1'");

    const jaegerQuery = readObjects(root, ['deploy/observability']).find((o) => o.kind === 'Service' && o.metadata.name === 'jaeger-query');
    const uiPort = (jaegerQuery?.spec?.['ports'] as Array<{ port: number }> | undefined)?.[0]?.port;
    expect(uiPort).toBe(16686);
    expect(stdout).toContain(`kubectl --context kind-tandem -n observability port-forward svc/jaeger-query ${uiPort}:${uiPort}`);
    const grafana = readObjects(root, ['deploy/observability']).find((o) => o.kind === 'Service' && o.metadata.name === 'grafana');
    const grafanaPort = (grafana?.spec?.['ports'] as Array<{ port: number }> | undefined)?.[0]?.port;
    expect(stdout).toContain(`kubectl --context kind-tandem -n observability port-forward svc/grafana ${grafanaPort}:${grafanaPort}`);
  });

  it('stops, naming why, when the KEDA operator runs without an Istio sidecar (it could not read NATS under mTLS STRICT)', () => {
    const b = machine();
    b.setState('keda-no-sidecar', '1');
    const run = b.run('up.sh');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("kind:up: KEDA's operator runs without an Istio sidecar");
    expect(run.calls.some((c) => c.includes(' apply -k '))).toBe(false);
  });

  it('a second run reuses the cluster, and restarts exactly the deployments whose image the build changed', () => {
    const b = machine();
    expect(b.run('up.sh').status).toBe(0);

    const same = b.run('up.sh');
    expect(same.status).toBe(0);
    expect(same.calls.some((c) => c.startsWith('kind create'))).toBe(false);
    expect(same.calls).toContain('kind export kubeconfig --name tandem');
    expect(same.calls.some((c) => c.includes('rollout restart'))).toBe(false);

    b.setState('next-image-id', 'sha256:bbbb');
    const rebuilt = b.run('up.sh');
    expect(rebuilt.status).toBe(0);
    const restarts = rebuilt.calls.filter((c) => c.includes(' rollout restart '));
    expect(restarts).toEqual(
      ['gateway', 'order', 'consumer'].map((app) => `kubectl --context kind-tandem -n tandem rollout restart deployment -l app=${app}`),
    );
    expect(rebuilt.calls.indexOf(restarts[0] ?? '')).toBeGreaterThan(indexOf(rebuilt.calls, 'kubectl --context kind-tandem apply -k'));
  });

  it('TANDEM_TRACE_SAMPLING patches the Telemetry resources the kind overlay defines, after the apply', () => {
    const telemetries = readObjects(root, ['deploy/k8s/overlays/kind']).filter((o) => o.kind === 'Telemetry');
    expect(telemetries.map((t) => `${t.metadata.namespace}/${t.metadata.name}`).sort()).toEqual([
      'istio-system/ingress-tracing',
      'tandem/tracing',
    ]);
    for (const t of telemetries)
      expect((t.spec?.['tracing'] as Array<Record<string, unknown>>)[0]).toHaveProperty('randomSamplingPercentage');

    const { status, calls } = machine().run('up.sh', [], { TANDEM_TRACE_SAMPLING: '2.5' });
    expect(status).toBe(0);
    for (const t of telemetries) {
      const patch = indexOf(
        calls,
        `kubectl --context kind-tandem -n ${t.metadata.namespace} patch telemetry.telemetry.istio.io ${t.metadata.name} --type=json`,
      );
      expect(calls[patch]).toContain('-p [{"op":"replace","path":"/spec/tracing/0/randomSamplingPercentage","value":2.5}]');
      expect(patch).toBeGreaterThan(indexOf(calls, 'kubectl --context kind-tandem apply -k'));
    }
  });

  it('a failed image build stops the run before the cluster is created', () => {
    const b = machine();
    b.fake('docker', '[ "$1" = buildx ] && [ "$2" = build ] && { echo "ERROR: failed to solve" >&2; exit 1; }; exit 0');
    const { status, calls } = b.run('up.sh');
    expect(status).toBe(1);
    expect(calls.filter((c) => c.startsWith('kind ') && !c.startsWith('kind version'))).toEqual([]);
    expect(calls.some((c) => c.startsWith('istioctl install') || c.startsWith('kubectl --context'))).toBe(false);
  });

  it('without buildx the classic `docker build` is used (it stores the image in Docker by itself)', () => {
    const b = machine();
    b.setState('no-buildx', 'yes');
    const { status, calls } = b.run('up.sh');
    expect(status).toBe(0);
    expect(calls.filter((c) => c.includes(' build '))).toEqual(
      ['gateway', 'order', 'consumer', 'topology'].map(
        (app) =>
          `docker build -f deploy/docker/Dockerfile --build-arg APP=${app} --build-arg VERSION=${version} -t tandem/${app}:${version} .`,
      ),
    );
  });

  it('TANDEM_KIND_CLUSTER names the cluster and the kubectl context', () => {
    const { status, calls } = machine().run('up.sh', [], { TANDEM_KIND_CLUSTER: 'demo' });
    expect(status).toBe(0);
    expect(calls).toContain('kind create cluster --name demo --config deploy/kind/cluster.yaml --wait 120s');
    expect(calls).toContain('kubectl --context kind-demo apply -k deploy/k8s/overlays/kind');
  });

  it("when `kind load docker-image` fails (as on Docker's containerd image store), the images are loaded from an archive", () => {
    const b = machine();
    b.setState('kind-load-fails', 'yes');
    const { status, calls, stderr } = b.run('up.sh');
    expect(status).toBe(0);
    expect(stderr).toContain('loading through an image archive instead');
    const save = calls[indexOf(calls, 'docker image save -o ')] ?? '';
    const archive = /-o (\S+)/.exec(save)?.[1] ?? '';
    expect(save).toBe(
      `docker image save -o ${archive} ${['gateway', 'order', 'consumer', 'topology'].map((app) => `tandem/${app}:${version}`).join(' ')}`,
    );
    expect(calls).toContain(`kind load image-archive --name tandem ${archive}`);
    expect(existsSync(archive)).toBe(false);
  });

  it('a workload that does not become ready fails the run and says what to look at', () => {
    const b = machine();
    b.setState('rollout-fails', 'deployment.apps/order-v2');
    const { status, stderr } = b.run('up.sh', [], { TANDEM_ROLLOUT_TIMEOUT: '90s' });
    expect(status).toBe(1);
    expect(stderr).toContain('kind:up: tandem/order-v2 did not become ready within 90s');
    expect(stderr).toContain('kubectl --context kind-tandem -n tandem describe deployment.apps/order-v2');
  });

  it('a topology Job that failed fails the run at once (not after the timeout) and says where its logs are', () => {
    const b = machine();
    b.setState('topology-job', 'Failed=True ');
    const started = Date.now();
    const { status, stderr, calls } = b.run('up.sh');
    expect(status).toBe(1);
    expect(stderr).toContain('kind:up: the Job tandem/nats-topology failed. Look at:');
    expect(stderr).toContain('kubectl --context kind-tandem -n tandem logs job/nats-topology --all-containers');
    expect(Date.now() - started).toBeLessThan(60_000);
    // The services' rollouts are not waited for: nothing can become ready without the topology.
    expect(calls.some((c) => c.includes(' rollout status ') && !c.includes(' -n keda '))).toBe(false);
  });

  it('refuses an existing cluster with fewer workers than deploy/kind/cluster.yaml (one per NATS server), saying how to recreate it', () => {
    const b = machine();
    expect(b.run('up.sh').status).toBe(0);
    b.setState('workers', '2');
    const { status, stderr, calls } = b.run('up.sh');
    expect(status).toBe(1);
    expect(stderr).toContain("kind:up: the cluster 'tandem' has 2 worker node(s); deploy/kind/cluster.yaml now has 3");
    expect(stderr).toContain('npm run kind:down && npm run kind:up');
    expect(calls.some((c) => c.includes(' apply -k '))).toBe(false); // refused before anything is applied
  });

  it('kind:down deletes the cluster, and says so when there is none to delete', () => {
    const b = machine();
    expect(b.run('up.sh').status).toBe(0);
    const first = b.run('down.sh');
    expect(first).toMatchObject({ status: 0, stdout: expect.stringContaining("deleted the kind cluster 'tandem'") });
    expect(first.calls).toContain('kind delete cluster --name tandem');
    const again = b.run('down.sh');
    expect(again).toMatchObject({
      status: 0,
      stdout: expect.stringContaining("there is no kind cluster named 'tandem'; nothing to delete"),
    });
    expect(again.calls.some((c) => c.startsWith('kind delete'))).toBe(false);
  });
});
