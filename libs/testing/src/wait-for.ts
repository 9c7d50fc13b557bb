/**
 * Polls `condition` until it returns a truthy value (which is returned) or the deadline
 * passes, then throws naming `description` and the last error seen. Use instead of sleeps.
 */
export async function waitFor<T>(
  condition: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: { timeoutMs?: number; intervalMs?: number; description: string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 20_000} ms waiting for ${options.description}${why}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}
