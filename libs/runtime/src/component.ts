import type { Logger } from 'pino';

/** What a component says about itself; read on every `/readyz` request, so it must be cheap. */
export interface ComponentHealth {
  /** True when the component can do its job right now (e.g. connected, consuming). */
  readonly ready: boolean;
  /** Human-readable state detail, e.g. `"connected to 127.0.0.1:4222"` or `"reconnecting (attempt 3)"`. */
  readonly detail?: string;
}

/** Handed to {@link Component.start}; lives as long as that run of the component. */
export interface StartContext {
  /** Aborted when the supervisor stops or restarts the component. */
  readonly signal: AbortSignal;
  /** The component's logger (`component` field set). */
  readonly logger: Logger;
  /**
   * Reports a failure at run time (after start resolved). The supervisor stops the
   * component and restarts it with backoff, or shuts the process down if it is fatal.
   */
  fail(error: Error): void;
}

/** An absolute point in time by which a stop must be done. */
export interface Deadline {
  /** Epoch milliseconds. */
  readonly at: number;
  /** Milliseconds left, never negative. */
  remaining(): number;
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal;
}

/**
 * One long-lived part of a process (HTTP server, NATS connection, a consumer, telemetry).
 *
 * Contract:
 * - `start` returns once the component has been launched; it must not block on an
 *   unreachable dependency (report that through `health()` instead) so that `/livez`
 *   answers as soon as the process is up.
 * - `quiesce`, when present, stops intake (pulling messages) without waiting; it runs for
 *   every component before any `stop`.
 * - `stop` finishes in-flight work and releases resources, and should be done before
 *   `deadline`. It is also called after a failed `start` or a reported failure, before a
 *   restart, so it must tolerate a half-started component.
 */
export interface Component {
  readonly name: string;
  /** Names of components that must start before this one (and stop after it). */
  readonly dependsOn?: readonly string[];
  /** When true, a failure this component cannot recover from shuts the process down (exit 1). */
  readonly fatal?: boolean;
  /** Restart attempts after a failure before giving up; default unlimited, 0 for fatal components. */
  readonly maxRestarts?: number;
  start(context: StartContext): Promise<void>;
  /**
   * Called once when readiness turns off, at the start of the shutdown delay, before any
   * `quiesce`: a component serving long-lived responses (event streams) stops taking new ones
   * and moves its clients elsewhere within `delayMs`, while the listener still answers.
   */
  beginShutdown?(delayMs: number): void;
  quiesce?(): void;
  stop(deadline: Deadline): Promise<void>;
  health(): ComponentHealth;
  /** What the component still holds (e.g. `"2 requests in flight"`); logged when a stop is cut short. */
  holding?(): string | undefined;
}
