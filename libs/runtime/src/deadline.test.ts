import { deadlineIn, whenAborted } from './deadline';

describe('whenAborted', () => {
  it('resolves once the signal aborts, and at once for one that already has', async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = whenAborted(controller.signal).then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    controller.abort(new Error('stop'));
    await waiting;
    expect(done).toBe(true);
    await expect(whenAborted(AbortSignal.abort())).resolves.toBeUndefined();
  });

  it('holds no timer: waiting on a deadline adds nothing that keeps the process alive', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const deadline = deadlineIn(60_000);
    void whenAborted(deadline.signal);
    // AbortSignal.timeout's timer is unref'd and not listed; a delay(60 000) would add one.
    expect(timers()).toBe(before);
  });
});
