import { backoffDelay, delay, type BackoffPolicy, type Component, type ComponentHealth, type StartContext } from '@tandem/runtime';
import { describePermissionViolation, permissionViolationOf, TopologyConflictError } from './errors';
import type { NatsConnectionComponent } from './nats-connection.component';
import { checkTopology, ensureTopology, type TopologySpec } from './topology';

/** Looking again for a topology someone else declares: soon after the declaration has run, without hammering the server. */
const RECHECK: BackoffPolicy = { initialMs: 1_000, secondMs: 2_000, factor: 1.5, maxMs: 5_000, jitter: 0.2 };

/**
 * Makes sure the streams, consumers and buckets a service uses are there before it works
 * (SPEC §4), once connected and again after each restart of the component. Ready when they are.
 *
 * On a server with users (every deployment: `auth_required` in its INFO), the topology is
 * declared by the administrative identity (`npm run nats:topology`, the cluster's Job) and the
 * service's user may only look: the component checks that each part exists in the shape the
 * code relies on, and until it does stays unready naming what is missing, looking again every
 * few seconds. On an open server (a test's, no users) it declares what it needs itself; a
 * declaration that conflicts with what the server has is then fatal, naming the resource and field.
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
    let reported = '';
    for (let attempt = 0; !context.signal.aborted; attempt++) {
      try {
        const nc = await this.connection.whenConnected(context.signal);
        if (nc.info?.auth_required) {
          const problems = await checkTopology(nc, this.spec);
          if (problems.length === 0) return this.ready(context, 'JetStream topology found');
          this.detail = `${problems.join('; ')}: declare the topology with the administrative NATS identity (npm run nats:topology)`;
          // Once per distinct finding, not at every look.
          if (this.detail !== reported) context.logger.warn({ problems }, `JetStream topology incomplete: ${this.detail}`);
          reported = this.detail;
        } else {
          await ensureTopology(nc, this.spec, { replicas: this.replicas });
          return this.ready(context, 'JetStream topology ensured (open server: declared by the service)');
        }
      } catch (error) {
        if (context.signal.aborted) return;
        if (error instanceof TopologyConflictError) {
          this.detail = error.message;
          context.fail(error);
          return;
        }
        const denied = permissionViolationOf(error);
        this.detail = `cannot check the topology: ${denied ? describePermissionViolation(denied) : (error as Error).message}`;
        context.logger.warn({ err: error }, 'checking the JetStream topology failed; retrying');
      }
      await delay(backoffDelay(attempt, RECHECK), context.signal).catch(() => undefined);
    }
  }

  private ready(context: StartContext, message: string): void {
    this.done = true;
    this.detail = `streams ${(this.spec.streams ?? []).map((s) => s.name).join(', ') || '-'}; consumers ${(this.spec.consumers ?? []).map((c) => c.durable).join(', ') || '-'}`;
    context.logger.info({ replicas: this.replicas }, message);
  }

  async stop(): Promise<void> {
    // nothing to release: the check runs once and stops with the start signal
  }

  health(): ComponentHealth {
    return { ready: this.done, detail: this.detail };
  }
}
