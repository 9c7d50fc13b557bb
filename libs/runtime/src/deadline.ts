import type { Deadline } from './component';

/** A deadline `ms` from now; its signal aborts when it passes (the timer does not keep the process alive). */
export function deadlineIn(ms: number, now: () => number = Date.now): Deadline {
  const at = now() + Math.max(0, ms);
  const signal = AbortSignal.timeout(Math.max(0, ms));
  return { at, signal, remaining: () => Math.max(0, at - now()) };
}

/**
 * Resolves once `signal` aborts (at once if it already has); never rejects. It holds no timer
 * of its own, so racing work against a deadline's signal (or `AbortSignal.timeout()`, whose
 * timer is unref'd) does not keep the process alive after the work is done — a `delay()`
 * would, until it fires.
 */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Resolves after `ms`, or rejects with the signal's reason once `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
