import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deployCopy, REPO_ROOT, type Edit } from './deploy-fixture';

/**
 * The built CLI (`npm run deploy:check` runs it): schema validation loads the CEL
 * evaluator, an ES module, which only a real Node process (not Jest's module system) can do.
 */
const CLI = join(REPO_ROOT, 'dist/tools/deploy-check/main.js');

function run(
  args: string[],
  edits?: readonly Edit[],
  added?: Readonly<Record<string, string>>,
): { status: number | null; stdout: string; stderr: string } {
  const copy = edits || added ? deployCopy(edits, added) : undefined;
  try {
    const result = spawnSync(process.execPath, [CLI, ...(copy ? ['--root', copy.root] : []), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    copy?.dispose();
  }
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it first (npx nx run deploy-check:build; npm test builds everything)`);
});

describe('deploy:check CLI', () => {
  it('passes the real deploy/ with every object schema-checked', () => {
    const result = run([]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/rendered deploy\/k8s\/overlays\/kind: \d+ objects/);
    expect(result.stdout).toMatch(/rendered deploy\/k8s\/overlays\/production: \d+ objects/);
    expect(result.stdout).toMatch(
      /checked \d+ files, [1-9]\d* objects against the Kubernetes 1\.35, Istio 1\.30\.3 and KEDA 2\.20\.2 schemas \(strict, with CEL rules\)/,
    );
    expect(result.stdout).toContain('deploy:check: no findings');
    expect(result.status).toBe(0);
  });

  it('passes the real deploy/ with the built-in renderer too', () => {
    const result = run(['--renderer', 'built-in']);
    expect(result.stdout).toContain('rendered deploy/k8s/overlays/kind');
    expect(result.stdout).toContain('(built-in)');
    expect(result.status).toBe(0);
  });

  it('fails on a value of the wrong type, naming file, line, object and field', () => {
    const result = run([], [{ file: 'deploy/k8s/base/gateway.yaml', from: 'containerPort: 3000', to: 'containerPort: "3000"' }]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/k8s\/base\/gateway\.yaml:\d+: \[schema\] Deployment tandem\/gateway spec\.template\.spec\.containers\[0\]\.ports\[0\]\.containerPort: must be integer/m,
    );
    expect(result.stdout).toContain('deploy:check: 1 finding(s)');
  });

  it('fails on an Istio field of the wrong type', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/k8s/overlays/kind/tracing.yaml',
          from: 'randomSamplingPercentage: 100\n---',
          to: 'randomSamplingPercentage: "ten"\n---',
        },
      ],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/k8s\/overlays\/kind\/tracing\.yaml:\d+: \[schema\] Telemetry tandem\/tracing spec\.tracing\[0\]\.randomSamplingPercentage: must be number/m,
    );
  });

  it('reports a schema problem in the file that has it when two overlays declare an object of the same name', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/k8s/overlays/production/telemetry-endpoint.yaml',
          from: 'otlp-endpoint: http',
          to: 'otlp-endpoint:\n    nested: http',
        },
      ],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/k8s\/overlays\/production\/telemetry-endpoint\.yaml:\d+: \[schema\] ConfigMap tandem\/tandem-telemetry data\.otlp-endpoint: must be string/m,
    );
    expect(result.stdout).not.toContain('deploy/k8s/overlays/kind/telemetry-endpoint.yaml');
  });

  it('checks files no kustomization includes (the IstioOperator) against their schema', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/istio/install/istio-operator.yaml',
          from: 'apiVersion: install.istio.io/v1alpha1',
          to: 'apiVersion: install.istio.io/v1',
        },
      ],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/istio\/install\/istio-operator\.yaml:\d+: \[schema\] IstioOperator istio-system\/tandem apiVersion: no schema is known for apiVersion "install.istio.io\/v1"/m,
    );
  });

  // kubectl apply validates strictly by default: a misspelt field is refused, not dropped.
  it.each([
    {
      what: 'a Deployment',
      edit: { file: 'deploy/k8s/base/order.yaml', from: '  replicas: 2\n', to: '  replicass: 2\n' },
      finding:
        /^deploy\/k8s\/base\/order\.yaml:\d+: \[schema\] Deployment tandem\/order-v1 spec\.replicass: unknown field "replicass" \(did you mean "replicas"\?\)/m,
    },
    {
      what: 'a VirtualService',
      edit: {
        file: 'deploy/istio/order-virtualservice.yaml',
        from: '            subset: v2\n      retries:',
        to: '            subset: v2\n      retrys:',
      },
      finding:
        /^deploy\/istio\/order-virtualservice\.yaml:\d+: \[schema\] VirtualService tandem\/order spec\.http\[0\]\.retrys: unknown field "retrys" \(did you mean "retries"\?\)/m,
    },
    {
      what: 'a DestinationRule',
      edit: { file: 'deploy/istio/order-destinationrule.yaml', from: 'connectTimeout: 2s', to: 'conectTimeout: 2s' },
      finding:
        /^deploy\/istio\/order-destinationrule\.yaml:\d+: \[schema\] DestinationRule tandem\/order spec\.trafficPolicy\.connectionPool\.tcp\.conectTimeout: unknown field "conectTimeout" \(did you mean "connectTimeout"\?\)/m,
    },
    {
      what: 'the IstioOperator (istioctl decodes it strictly)',
      edit: { file: 'deploy/istio/install/istio-operator.yaml', from: 'nodePort: 30080', to: 'nodeport: 30080' },
      finding:
        /^deploy\/istio\/install\/istio-operator\.yaml:\d+: \[schema\] IstioOperator istio-system\/tandem spec\.components\.ingressGateways\[0\]\.k8s\.service\.ports\[1\]\.nodeport: unknown field "nodeport" \(did you mean "nodePort"\?\)/m,
    },
  ])('fails on a misspelt field in $what, naming file, line, object and field', ({ edit, finding }) => {
    const result = run([], [edit]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(finding);
    expect(result.stdout).toContain('deploy:check: 1 finding(s)');
  });

  // Strict is not stricter than the API server: each of these is accepted by kubectl apply (or istioctl).
  it('passes what the API server accepts: nulls, status, other served versions and kinds, istioctl defaults', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/k8s/base/gateway.yaml',
          from: 'kind: Deployment\nmetadata:\n',
          to: 'kind: Deployment\nmetadata:\n  creationTimestamp: null\n  annotations:\n',
        },
        {
          file: 'deploy/istio/install/istio-operator.yaml',
          from: '        k8s:\n          service:\n',
          to: '        k8s:\n          hpaSpec:\n            minReplicas: 2\n            maxReplicas: 4\n          service:\n',
        },
        { file: 'deploy/istio/install/istio-operator.yaml', from: '  profile: default\n', to: '  profile: default\n  tag: 1.30\n' },
      ],
      {
        'deploy/extra.yaml': [
          'apiVersion: networking.istio.io/v1beta1',
          'kind: VirtualService',
          'metadata: { name: old-version, namespace: tandem }',
          'spec: { hosts: [order], http: [{ route: [{ destination: { host: order } }] }] }',
          '---',
          'apiVersion: networking.istio.io/v1alpha3',
          'kind: EnvoyFilter',
          'metadata: { name: filter, namespace: tandem }',
          'spec: { configPatches: [] }',
          '---',
          'apiVersion: networking.k8s.io/v1',
          'kind: Ingress',
          'metadata: { name: web, namespace: tandem }',
          'spec: { defaultBackend: { service: { name: gateway, port: { number: 80 } } } }',
          '---',
          'apiVersion: v1',
          'kind: Secret',
          'metadata: { name: wrapped, namespace: tandem }',
          'data:',
          '  key: |',
          '    aGVsbG8g',
          '    d29ybGQ=',
          '---',
          'apiVersion: policy/v1',
          'kind: PodDisruptionBudget',
          'metadata: { name: with-status, namespace: tandem }',
          'spec: { maxUnavailable: 1 }',
          'status: {}',
          '',
        ].join('\n'),
      },
    );
    expect(result.stdout).toContain('deploy:check: no findings');
    expect(result.status).toBe(0);
  });

  it('an int-or-string and a quantity are checked as such', () => {
    const result = run(
      [],
      [
        { file: 'deploy/k8s/base/gateway.yaml', from: 'targetPort: http', to: 'targetPort: [http]' },
        { file: 'deploy/k8s/base/gateway.yaml', from: "cpu: '1'", to: 'cpu: {}' },
      ],
    );
    expect(result.stdout).toMatch(/\[schema\] Service tandem\/gateway spec\.ports\[0\]\.targetPort: must be integer or string/);
    expect(result.stdout).toMatch(
      /\[schema\] Deployment tandem\/gateway spec\.template\.spec\.containers\[0\]\.resources\.limits\.cpu: must be string or number/,
    );
  });

  it('a StringMatch with two kinds of match set at once is refused', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/istio/ingress.yaml',
          from: '            prefix: /orders/\n',
          to: '            prefix: /orders/\n            exact: /orders\n',
        },
      ],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/istio\/ingress\.yaml:\d+: \[schema\] VirtualService tandem\/gateway spec\.http\[\d\]\.match\[\d\]\.uri: sets more than one of: exact, prefix, regex \(at most one may be set\)/m,
    );
  });

  // Istio's CRDs carry CEL rules (x-kubernetes-validations) that the API server evaluates on apply.
  it("evaluates the CRDs' CEL rules: a duration below 1ms", () => {
    const result = run([], [{ file: 'deploy/istio/order-destinationrule.yaml', from: 'interval: 10s', to: 'interval: 0s' }]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/istio\/order-destinationrule\.yaml:\d+: \[cel\] DestinationRule tandem\/order spec\.trafficPolicy\.outlierDetection\.interval: must be a valid duration greater than 1ms/m,
    );
    expect(result.stdout).toContain('deploy:check: 1 finding(s)');
  });

  // The API server runs a node's CEL rules only on a value of the node's type: one mistake, one finding.
  it('a value of the wrong type is reported by the schema alone, not again by its CEL rule', () => {
    const result = run([], [{ file: 'deploy/istio/ingress.yaml', from: 'perTryTimeout: 14s', to: 'perTryTimeout: 14' }]);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/istio\/ingress\.yaml:\d+: \[schema\] VirtualService tandem\/gateway spec\.http\[\d\]\.retries\.perTryTimeout: must be string/m,
    );
    expect(result.stdout).toContain('deploy:check: 1 finding(s)');
  });

  it('evaluates CEL rules over a whole object: a selector and a targetRef together', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/istio/authorization-policies.yaml',
          from: '  name: gateway-from-ingress\n  namespace: tandem\nspec:\n',
          to: '  name: gateway-from-ingress\n  namespace: tandem\nspec:\n  targetRef:\n    kind: Service\n    group: ""\n    name: gateway\n',
        },
      ],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^deploy\/istio\/authorization-policies\.yaml:\d+: \[cel\] AuthorizationPolicy tandem\/gateway-from-ingress spec: only one of targetRefs or selector can be set/m,
    );
  });

  it('evaluates CEL rules over map keys: a port above 65535', () => {
    const result = run(
      [],
      [
        {
          file: 'deploy/istio/peer-authentication.yaml',
          from: '  mtls:\n    mode: STRICT\n',
          to: '  mtls:\n    mode: STRICT\n  selector:\n    matchLabels:\n      app: order\n  portLevelMtls:\n    "70000":\n      mode: STRICT\n',
        },
      ],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\[cel\] PeerAuthentication tandem\/default spec\.portLevelMtls: port must be between 1-65535/);
  });

  it('fails on a misspelt kind', () => {
    const result = run(
      [],
      [{ file: 'deploy/istio/peer-authentication.yaml', from: 'kind: PeerAuthentication', to: 'kind: PeerAuthentification' }],
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /\[schema\] PeerAuthentification tandem\/default apiVersion: no schema is known for apiVersion "security.istio.io\/v1" kind "PeerAuthentification"/,
    );
  });

  it('refuses unknown options with usage and exit 2', () => {
    const result = run(['--bogus']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
    expect(result.stderr).toContain('Usage: npm run deploy:check');
  });

  it('refuses an unknown renderer', () => {
    const result = run(['--renderer', 'helm']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--renderer must be auto, kubectl or built-in, not "helm"');
  });
});
