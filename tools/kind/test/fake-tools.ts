import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

/** Absolute path of a system tool, found through the test process's PATH. */
export function systemTool(name: string): string {
  return execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Every call the fakes received, one line each: "<tool> <args…>". */
  readonly calls: readonly string[];
}

/**
 * A PATH for running tools/kind's scripts in isolation: a temp bin directory holding
 * symlinks to the named system tools and, optionally, fake executables. Fakes stand in
 * for docker, kind, kubectl and istioctl only because no Docker engine or cluster can
 * run on the machines these tests run on; each records its arguments in a log and
 * answers from a small state directory the test controls.
 */
export class FakeBin {
  readonly dir: string;
  readonly bin: string;
  readonly state: string;
  private readonly log: string;
  private readonly bash = systemTool('bash');

  constructor(systemTools: readonly string[]) {
    this.dir = mkdtempSync(join(tmpdir(), 'tandem-kind-'));
    this.bin = join(this.dir, 'bin');
    this.state = join(this.dir, 'state');
    this.log = join(this.dir, 'calls.log');
    mkdirSync(this.bin);
    mkdirSync(this.state);
    writeFileSync(this.log, '');
    for (const tool of new Set(['bash', ...systemTools])) symlinkSync(systemTool(tool), join(this.bin, tool));
  }

  /** Adds an executable `name` whose body (bash) runs after its call is logged. */
  fake(name: string, body: string): this {
    const file = join(this.bin, name);
    writeFileSync(file, `#!${this.bash}\nprintf '%s\\n' "${name} $*" >> "$FAKE_LOG"\nSTATE="$FAKE_STATE"\n${body}\n`);
    chmodSync(file, 0o755);
    return this;
  }

  setState(key: string, value: string): void {
    writeFileSync(join(this.state, key), value);
  }

  /** Runs a script of tools/kind with only this bin directory on PATH. */
  run(script: string, args: readonly string[] = [], env: Readonly<Record<string, string>> = {}): RunResult {
    writeFileSync(this.log, '');
    const result = spawnSync(this.bash, [join(workspaceRoot(), 'tools/kind', script), ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: this.bin, HOME: this.dir, TMPDIR: this.dir, FAKE_LOG: this.log, FAKE_STATE: this.state, ...env },
    });
    const calls = readFileSync(this.log, 'utf8').split('\n').filter(Boolean);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Fakes that behave like working tools of the given versions, for the whole kind:up flow. */
export function workingTools(bin: FakeBin, versions: { kind?: string; kubectl?: string; istioctl?: string } = {}): FakeBin {
  return bin
    .fake(
      'docker',
      `if [ "$1" = buildx ] && [ "$2" = version ]; then [ -f "$STATE/no-buildx" ] && exit 1; echo "github.com/docker/buildx v0.19.3"; exit 0; fi
[ "$1" = buildx ] && shift
case "$1" in
  info) [ "$2" = --format ] && echo 17179869184; exit 0 ;;
  build) tag=""; while [ $# -gt 0 ]; do [ "$1" = -t ] && tag="$2"; shift; done
         id="$(< "$STATE/next-image-id")"; printf '%s' "$id" > "$STATE/image-\${tag//[\\/:]/_}"; exit 0 ;;
  image) if [ "$2" = inspect ]; then f="$STATE/image-\${5//[\\/:]/_}"; [ -f "$f" ] || exit 1; printf '%s\\n' "$(< "$f")"; fi; exit 0 ;;
esac`,
    )
    .fake(
      'kind',
      `case "$1" in
  version) echo "kind v${versions.kind ?? '0.31.0'} go1.24.1 linux/amd64" ;;
  get) if [ -s "$STATE/clusters" ]; then printf '%s\\n' "$(< "$STATE/clusters")"; else echo "No kind clusters found." >&2; fi ;;
  create) echo "$4" >> "$STATE/clusters" ;;
  delete) : > "$STATE/clusters" ;;
  load) [ "$2" = docker-image ] && [ -f "$STATE/kind-load-fails" ] && { echo "ERROR: failed to load image: content digest not found" >&2; exit 1; }; exit 0 ;;
esac
exit 0`,
    )
    .fake(
      'kubectl',
      `case " $* " in
  *" version --client "*) echo "Client Version: v${versions.kubectl ?? '1.35.0'}"; echo "Kustomize Version: v5.4.2" ;;
  *" apply -k "*) : > "$STATE/applied" ;;
  *" get secret "*) name=""; prev=""; for a in "$@"; do [ "$prev" = secret ] && name="$a"; prev="$a"; done
    [ -f "$STATE/secret-$name" ] || { echo "Error from server (NotFound): secrets '$name' not found" >&2; exit 1; } ;;
  *" create secret generic "*) name=""; prev=""; for a in "$@"; do [ "$prev" = generic ] && name="$a"; prev="$a"; done
    cat > "$STATE/secret-$name" ;;
  *" -n keda get pods -l app=keda-operator "*) if [ -f "$STATE/keda-no-sidecar" ]; then echo " keda-operator"; else echo "istio-init istio-proxy keda-operator"; fi ;;
  *" get deployments,statefulsets,daemonsets -o name "*)
    ns=""; prev=""; for a in "$@"; do [ "$prev" = -n ] && ns="$a"; prev="$a"; done
    [ -f "$STATE/applied" ] && [ -f "$STATE/workloads-$ns" ] && printf '%s\\n' "$(< "$STATE/workloads-$ns")" ;;
  *" rollout status "*) [ -f "$STATE/rollout-fails" ] && [[ " $* " == *" $(< "$STATE/rollout-fails") "* ]] && { echo "error: timed out waiting for the condition" >&2; exit 1; } ;;
  *" get deployment -l app="*) [ -f "$STATE/applied" ] && echo "deployment.apps/some-deployment" ;;
  *" get nodes "*) if [ -f "$STATE/workers" ]; then n="$(< "$STATE/workers")"; else n=3; fi; i=1; while [ "$i" -le "$n" ]; do echo "tandem-worker$i Ready <none> 1m v1.35.0"; i=$((i + 1)); done ;;
  *" get job nats-topology "*) if [ -f "$STATE/topology-job" ]; then cat "$STATE/topology-job"; else echo "Complete=True "; fi ;;
esac
exit 0`,
    )
    .fake(
      'istioctl',
      `case "$1" in
  version) echo "client version: ${versions.istioctl ?? '1.30.3'}" ;;
esac
exit 0`,
    );
}
