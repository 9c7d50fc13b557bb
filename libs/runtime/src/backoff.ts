/** The reconnect and restart schedule of SPEC §4/§5: 1 s, 2 s, then ×1.5 up to 30 s, with jitter. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly secondMs: number;
  readonly factor: number;
  readonly maxMs: number;
  /** Fraction of the delay taken off at random (0.2 → each delay lies in [0.8·d, d]). */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  initialMs: 1_000,
  secondMs: 2_000,
  factor: 1.5,
  maxMs: 30_000,
  jitter: 0.2,
});

/** The un-jittered delay before retry number `attempt` (0-based). */
export function backoffBase(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (attempt <= 0) return Math.min(policy.initialMs, policy.maxMs);
  const raw = policy.secondMs * policy.factor ** (attempt - 1);
  return Math.min(raw, policy.maxMs);
}

/**
 * The delay before retry number `attempt` (0-based), jittered downwards so that many
 * clients restarted together do not retry in lock-step.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = backoffBase(attempt, policy);
  return Math.round(base * (1 - policy.jitter * random()));
}
