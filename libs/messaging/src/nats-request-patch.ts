import { RequestOne } from '@nats-io/nats-core/internal';

/**
 * A patch carried on nats.js (`@nats-io/nats-core` 3.4.0) until upstream stops doing this:
 * every request/reply that succeeds ends in `RequestOne.cancel()`, which rejects the
 * request's promise — already resolved, so the rejection is a no-op — with a freshly built
 * `RequestError("cancelled")`, stack trace and all. Every JetStream publish and `ackAck()` is
 * such a request, so the thrown-away errors cost real CPU (profiles: docs/benchmarks).
 *
 * The patch marks a request settled when its answer (or error) arrives; a later `cancel()`
 * without an error then only does the bookkeeping — stop the timer, leave the mux — and skips
 * building the error nobody can observe. Every other path (a timeout, a cancel with an error,
 * a cancel before any answer, e.g. the connection closing) runs upstream's code unchanged.
 * It relies on `timer` and `mux` only, and is not applied (with {@link natsRequestPatch}
 * saying why) if the class no longer has the methods it wraps.
 */
const SETTLED = Symbol('tandem.request.settled');
/** Global, so that two copies of this module (two bundles in one process) patch once. */
const PATCHED: unique symbol = Symbol.for('tandem.nats-request-patch');

export const natsRequestPatch: { readonly applied: boolean; readonly reason: string } = applyPatch();

interface RequestOneInternals {
  [SETTLED]?: boolean;
  timer?: { cancel(): void };
  mux: { cancel(request: unknown): void };
  resolver(err: Error | null, msg: unknown): void;
  cancel(err?: Error): void;
}

function applyPatch(): { applied: boolean; reason: string } {
  const proto = RequestOne.prototype as unknown as RequestOneInternals & { [PATCHED]?: true };
  if (proto[PATCHED]) return { applied: true, reason: 'already applied' };
  if (typeof proto.resolver !== 'function' || typeof proto.cancel !== 'function')
    return { applied: false, reason: 'RequestOne no longer has resolver() and cancel(): check whether upstream fixed it' };
  const upstreamResolver = proto.resolver;
  const upstreamCancel = proto.cancel;
  proto.resolver = function (this: RequestOneInternals, err: Error | null, msg: unknown) {
    this[SETTLED] = true;
    upstreamResolver.call(this, err, msg);
  };
  proto.cancel = function (this: RequestOneInternals, err?: Error) {
    if (err !== undefined || !this[SETTLED]) return upstreamCancel.call(this, err);
    this.timer?.cancel();
    this.mux.cancel(this);
  };
  proto[PATCHED] = true;
  return { applied: true, reason: 'applied' };
}
