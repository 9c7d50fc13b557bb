import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deployCopy, REPO_ROOT, type Edit } from './deploy-fixture';

/**
 * The built CLI (`npm run deploy:check` runs it): schema validation loads ESM-only
 * packages, which only a real Node process (not Jest's module system) can do.
 */
const CLI = join(REPO_ROOT, 'dist/tools/deploy-check/main.js');

function run(args: string[], edits?: readonly Edit[]): { status: number | null; stdout: string; stderr: string } {
  const copy = edits ? deployCopy(edits) : undefined;
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
    expect(result.stdout).toMatch(/checked \d+ files, [1-9]\d* objects against their schemas/);
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

  // The IstioOperator CRD leaves its spec open (preserve-unknown-fields): only its type and metadata have a schema.
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
