import { FakeBin, workingTools } from './fake-tools';

/**
 * `npm run kind:up` on a machine that lacks what it needs: it must say everything that
 * is missing at once, how to get it, and change nothing. docker, kind, kubectl and
 * istioctl are fakes here because none can run on the machines these tests run on.
 */
describe('kind:up prerequisites', () => {
  const bins: FakeBin[] = [];
  const bin = (): FakeBin => {
    const b = new FakeBin([]);
    bins.push(b);
    return b;
  };
  afterAll(() => bins.forEach((b) => b.cleanup()));

  /** Calls that change something; none may happen when a prerequisite is missing. */
  const mutating = (calls: readonly string[]) =>
    calls.filter((c) => !/^(docker info|kind version|kubectl version --client|istioctl version --remote=false)\b/.test(c));

  it.each([
    ['up.sh --check', ['--check']],
    ['up.sh', []],
  ])('with none of the tools on PATH, `%s` lists all four with how to install each and exits 1', (_, args) => {
    const result = bin().run('up.sh', args);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('nothing was changed');
    expect(result.stderr).toContain(
      'docker: not found on PATH. Install Docker Desktop (macOS, Windows) or Docker Engine (Linux): https://docs.docker.com/',
    );
    expect(result.stderr).toContain('kind: not found on PATH. Install kind 0.31.0 or newer: https://kind.sigs.k8s.io/');
    expect(result.stderr).toContain('kubectl: not found on PATH. Install kubectl 1.34.0 or newer: https://kubernetes.io/docs/tasks/tools/');
    expect(result.stderr).toContain('istioctl: not found on PATH. Install istioctl 1.30.0 up to (not including) 1.31.0: https://istio.io/');
  });

  it('down.sh without docker and kind names both and exits 1', () => {
    const result = bin().run('down.sh');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/docker: not found on PATH[^\n]*\n\s+- kind: not found on PATH/);
  });

  it('a docker command whose engine is unreachable is reported as that, not as "not installed", and nothing else runs', () => {
    const b = workingTools(bin());
    b.fake(
      'docker',
      'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1',
    );
    for (const args of [['--check'], []]) {
      const result = b.run('up.sh', args);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('docker: the docker command is installed but the Docker engine is not reachable');
      expect(result.stderr).toContain('Cannot connect to the Docker daemon at unix:///var/run/docker.sock');
      expect(result.stderr).not.toContain('docker: not found');
      expect(result.stderr).not.toMatch(/- (kind|kubectl|istioctl):/);
      expect(mutating(result.calls)).toEqual([]);
    }
  });

  it('too-old versions name the version found and the minimum required, all at once', () => {
    const b = workingTools(bin(), { kind: '0.30.0', kubectl: '1.33.9', istioctl: '1.29.4' });
    const result = b.run('up.sh');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('kind: version 0.30.0 is too old; 0.31.0 or newer is required');
    expect(result.stderr).toContain('kubectl: version 1.33.9 is too old; 1.34.0 or newer is required');
    expect(result.stderr).toContain('istioctl: version 1.29.4 is too old; 1.30.0 up to (not including) 1.31.0 is required');
    expect(mutating(result.calls)).toEqual([]);
  });

  // istioctl installs its own Istio: a newer one would install CRDs whose rules deploy:check has not checked against.
  it('an istioctl of another Istio minor than the vendored schemas is refused as too new', () => {
    const result = workingTools(bin(), { istioctl: '1.31.0' }).run('up.sh');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      "istioctl: version 1.31.0 is too new; 1.30.0 up to (not including) 1.31.0 is required (deploy:check checks the manifests against that release's schemas)",
    );
    expect(mutating(result.calls)).toEqual([]);
  });

  it('versions are compared as numbers: the minimums pass, and so does 0.100.0 (which sorts before 0.31.0 as text)', () => {
    expect(workingTools(bin(), { kind: '0.31.0', kubectl: '1.34.0', istioctl: '1.30.0' }).run('up.sh', ['--check'])).toMatchObject({
      status: 0,
    });
    const result = workingTools(bin(), { kind: '0.100.0', kubectl: '1.100.1', istioctl: '1.30.10' }).run('up.sh', ['--check']);
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ status: 0, stdout: expect.stringContaining('prerequisites present') });
    expect(mutating(result.calls)).toEqual([]);
  });

  it.each(['150', 'ten', '-1', '10%', '05', '00.5'])('TANDEM_TRACE_SAMPLING=%s is refused before anything changes', (value) => {
    const result = workingTools(bin()).run('up.sh', [], { TANDEM_TRACE_SAMPLING: value });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`TANDEM_TRACE_SAMPLING="${value}": give a percentage from 0 to 100`);
    expect(mutating(result.calls)).toEqual([]);
  });

  it.each(['0', '0.5', '5', '25', '99.9', '100'])('TANDEM_TRACE_SAMPLING=%s is accepted', (value) => {
    expect(workingTools(bin()).run('up.sh', ['--check'], { TANDEM_TRACE_SAMPLING: value })).toMatchObject({ status: 0, stderr: '' });
  });

  it('an invalid cluster name is refused before anything changes', () => {
    const result = workingTools(bin()).run('up.sh', [], { TANDEM_KIND_CLUSTER: 'My Cluster' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('TANDEM_KIND_CLUSTER="My Cluster"');
    expect(mutating(result.calls)).toEqual([]);
  });

  it('--help describes both scripts without checking anything; an unknown argument is refused', () => {
    const up = bin().run('up.sh', ['--help']);
    expect(up).toMatchObject({ status: 0, stderr: '' });
    expect(up.stdout).toContain('--check');
    expect(up.stdout).toContain('TANDEM_TRACE_SAMPLING');
    expect(up.stdout).toContain('TANDEM_KIND_CLUSTER');
    const down = bin().run('down.sh', ['--help']);
    expect(down).toMatchObject({ status: 0, stderr: '' });
    expect(down.stdout).toContain('Deletes the kind cluster');
    expect(bin().run('up.sh', ['--force'])).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown argument "--force"') });
  });
});
