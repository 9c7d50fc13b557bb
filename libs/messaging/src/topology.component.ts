import { backoffDelay, DEFAULT_BACKOFF, delay, type Component, type ComponentHealth, type StartContext } from '@tandem/runtime';
import { describePermissionViolation, permissionViolationOf, TopologyConflictError } from './errors';
import type { NatsConnectionComponent } from './nats-connection.component';
import { ensureTopology, type TopologySpec } from './topology';

/**
 * Makes sure the streams, consumers and buckets a service needs exist, once connected
 * (and again after each restart of the component). Ready when done. A declaration that
 * conflicts with what the server has is fatal: the process stops with a message naming
 * the resource and field rather than run against the wrong topology. Other errors
 * (JetStream not yet available, broker gone, a create the NATS user may not make) are
 * retried with backoff.
 */
export class TopologyComponent implements Component {
  readonly name: string;
  readonly dependsOn: readonly string[];
  readonly fatal = true;
  readonly maxRestarts = 0;
  private done = false;
  private detail = 'waiting for NATS';

  constructor(
    private readonly connection: NatsConnectionComponent,
    private readonly spec: TopologySpec,
    private readonly replicas: number,
    name = 'topology',
  ) {
    this.name = name;
    this.dependsOn = [connection.name];
  }

  async start(context: StartContext): Promise<void> {
    void this.ensure(context);
  }

  private async ensure(context: StartContext): Promise<void> {
    for (let attempt = 0; !context.signal.aborted; attempt++) {
      try {
        const nc = await this.connection.whenConnected(context.signal);
        await ensureTopology(nc, this.spec, { replicas: this.replicas });
        this.done = true;
        this.detail = `streams ${(this.spec.streams ?? []).map((s) => s.name).join(', ') || '-'}; consumers ${(this.spec.consumers ?? []).map((c) => c.durable).join(', ') || '-'}`;
        context.logger.info({ replicas: this.replicas }, 'JetStream topology ensured');
        return;
      } catch (error) {
        if (context.signal.aborted) return;
        if (error instanceof TopologyConflictError) {
          this.detail = error.message;
          context.fail(error);
          return;
        }
        const wait = backoffDelay(attempt, DEFAULT_BACKOFF);
        // A refused create is retried too: a user that may only look at a stream (consumer)
        // waits here until the stream's owner (order) has created it.
        const denied = permissionViolationOf(error);
        this.detail = `cannot ensure topology: ${denied ? describePermissionViolation(denied) : (error as Error).message}; retry in ${wait} ms`;
        context.logger.warn({ err: error, retryInMs: wait }, 'ensuring JetStream topology failed; retrying');
        await delay(wait, context.signal).catch(() => undefined);
      }
    }
  }

  async stop(): Promise<void> {
    // nothing to release: ensuring runs once and stops with the start signal
  }

  health(): ComponentHealth {
    return { ready: this.done, detail: this.detail };
  }
}
