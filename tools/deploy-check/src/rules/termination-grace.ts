import { asArray, getPath } from '../model';
import { envValue, tandemApp, type Rule, type RuleFinding } from '../rule';

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * The pod's grace period outlasts everything after SIGTERM: a preStop `sleep` plus the
 * app's SHUTDOWN_TIMEOUT_MS (which already includes SHUTDOWN_DELAY_MS: docs/operations.md).
 */
export const terminationGrace: Rule = {
  name: 'termination-grace',
  description: 'terminationGracePeriodSeconds exceeds preStop sleep + SHUTDOWN_TIMEOUT_MS, and SHUTDOWN_DELAY_MS < SHUTDOWN_TIMEOUT_MS',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of set.workloads()) {
      const grace = workload.podSpec['terminationGracePeriodSeconds'];
      const graceSeconds = typeof grace === 'number' ? grace : 30;
      for (const { container, path } of workload.containers) {
        if (!tandemApp(container['image'])) continue;
        const timeoutMs = Number(envValue(container, 'SHUTDOWN_TIMEOUT_MS') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
        const delayMs = Number(envValue(container, 'SHUTDOWN_DELAY_MS') ?? 0);
        const preStopSeconds = preStopSleep(getPath(container, ['lifecycle', 'preStop']));
        const needed = preStopSeconds + timeoutMs / 1000;
        if (!(graceSeconds > needed)) {
          findings.push({
            object: workload.object,
            path: [...workload.podSpecPath, 'terminationGracePeriodSeconds'],
            message: `${graceSeconds} s is not more than preStop ${preStopSeconds} s + SHUTDOWN_TIMEOUT_MS ${timeoutMs / 1000} s of container "${String(container['name'])}": the kubelet would SIGKILL it mid-drain`,
          });
        }
        if (!(delayMs < timeoutMs)) {
          findings.push({
            object: workload.object,
            path: [...path, 'env'],
            message: `SHUTDOWN_DELAY_MS (${delayMs}) must be below SHUTDOWN_TIMEOUT_MS (${timeoutMs}); the app refuses to start otherwise`,
          });
        }
      }
    }
    return findings;
  },
};

/** Seconds a preStop hook sleeps (`sleep N` in exec, or the native `sleep` action). */
function preStopSleep(hook: unknown): number {
  const native = getPath(hook, ['sleep', 'seconds']);
  if (typeof native === 'number') return native;
  const command = asArray(getPath(hook, ['exec', 'command']))
    .map(String)
    .join(' ');
  const match = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(command);
  return match ? Number(match[1]) : 0;
}
