import { execFile } from 'node:child_process';
import { ApplyFailedError, ClusterUnreachableError, KubectlMissingError } from './canary-errors';

/** The environment kubectl runs with; its PATH decides which kubectl that is. */
export type KubectlEnv = Readonly<Record<string, string | undefined>>;

interface KubectlResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function kubectl(args: readonly string[], env: KubectlEnv, timeoutMs: number): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', [...args], { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new KubectlMissingError({ cause: error }));
      resolve({ ok: !error, stdout, stderr: error && error.killed ? `${stderr}\ntimed out after ${timeoutMs / 1000}s` : stderr });
    });
  });
}

/** kubectl's own explanation: its last non-empty output line. */
function lastLine(result: KubectlResult): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').map((l) => l.trim());
  return lines.filter((l) => l !== '').at(-1) ?? 'kubectl failed without saying why';
}

/**
 * Checks that kubectl exists and its current context answers (`kubectl version` reaches
 * the API server). Resolves with the context name; throws KubectlMissingError or
 * ClusterUnreachableError. Changes nothing anywhere. The context is undefined when kubectl
 * reaches a cluster without one (in-cluster configuration).
 */
export async function assertClusterReachable(env: KubectlEnv): Promise<string | undefined> {
  const current = await kubectl(['config', 'current-context'], env, 10_000);
  const context = current.ok ? current.stdout.trim() || undefined : undefined;
  const version = await kubectl(['version', '--request-timeout=5s'], env, 20_000);
  if (!version.ok) throw new ClusterUnreachableError(context, lastLine(version));
  return context;
}

/**
 * `kubectl apply -f` each file in order, stopping at the first failure with an
 * ApplyFailedError that lists what was already applied.
 */
export async function applyInOrder(files: readonly { readonly path: string; readonly display: string }[], env: KubectlEnv): Promise<void> {
  const applied: string[] = [];
  for (const file of files) {
    const result = await kubectl(['apply', '-f', file.path], env, 120_000);
    if (!result.ok) throw new ApplyFailedError(file.display, lastLine(result), applied);
    applied.push(file.display);
  }
}
