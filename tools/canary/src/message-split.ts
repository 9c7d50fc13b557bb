import { userInfo } from 'node:os';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import {
  FulfilmentSplitEvent,
  FulfilmentSplitReadEvent,
  FulfilmentSplitSubject,
  fulfilmentSplitWeights,
  Topology,
  type FulfilmentSplitV1,
} from '@tandem/contracts';
import {
  connectOnce,
  describePermissionViolation,
  EventCodec,
  natsEnvProperties,
  permissionViolationOf,
  redactServerUrl,
  StreamSplit,
  toNatsSettings,
} from '@tandem/messaging';
import { ConfigError, parseEnv } from '@tandem/runtime';
import Type from 'typebox';
import { MessageSplitFailedError, NatsUnavailableError, UsageError } from './canary-errors';
import type { Weights } from './canary-weights';

/** The fulfilment v2 durable as the split's readers see it: is anyone there to take its share? */
export interface CanaryConsumerState {
  /** Messages not yet delivered to it. */
  readonly pending: number;
  /** Delivered and not yet acknowledged. */
  readonly ackPending: number;
  /** Pull requests waiting on it right now: 0 means no v2 instance is pulling. */
  readonly waiting: number;
}

export interface MessageSplitState {
  readonly weights: Weights;
  /** ORDERS sequence of the split message in force; 0 when none was ever written (all to v1). */
  readonly since: number;
  /** Who set the split in force and when, as its message says (a split written by hand may not). */
  readonly split?: Partial<Pick<FulfilmentSplitV1, 'setBy' | 'setAt'>>;
  /** undefined when fulfilment-v2 is not declared. */
  readonly v2?: CanaryConsumerState;
  /** Sequence of the last message on the split subject (valid or not), 0 for none: a write expects it still is. */
  readonly lastOnSubject: number;
}

const NatsEnv = Type.Object(natsEnvProperties());

/**
 * The split of `orders.created` between fulfilment v1 and v2, as stored in stream ORDERS
 * (docs/decisions/0018): read with the same StreamSplit the consumers use, written as one
 * `orders.canary.fulfilment` message with `Nats-TTL: never` by the administrative identity.
 */
export class MessageSplit {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly where: string,
  ) {}

  /**
   * Connects with NATS_URL and the administrative identity's NATS_USER/NATS_PASS (or NATS_CREDS)
   * and NATS_INBOX_PREFIX; undefined when NATS_URL is not set. A bad variable is a UsageError;
   * a server that cannot be reached, or refuses, a NatsUnavailableError.
   */
  static async open(env: Readonly<Record<string, string | undefined>>): Promise<MessageSplit | undefined> {
    if (!env['NATS_URL']) return undefined;
    let settings;
    try {
      settings = toNatsSettings(parseEnv(NatsEnv, env));
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
    const where = settings.servers.map(redactServerUrl).join(',');
    try {
      const nc = await connectOnce(settings, 'tandem-canary');
      return new MessageSplit(nc, await jetstreamManager(nc, { timeout: 5_000 }), where);
    } catch (error) {
      throw new NatsUnavailableError(where, `cannot be reached or refused the identity (${describe(error)})`, { cause: error });
    }
  }

  /** The split in force for the next order, and fulfilment-v2's state. */
  async read(): Promise<MessageSplitState> {
    try {
      const stream = Topology.ordersStream.name;
      const info = await this.jsm.streams.info(stream);
      const split = new StreamSplit({
        connection: { connection: () => this.nc },
        stream,
        event: FulfilmentSplitReadEvent,
        weightsOf: fulfilmentSplitWeights,
      });
      const inForce = await split.inForceAt(info.state.last_seq + 1);
      const stored = inForce.since === 0 ? undefined : await this.jsm.streams.getMessage(stream, { seq: inForce.since });
      const lastOnSubject = (await this.jsm.streams.getMessage(stream, { last_by_subj: FulfilmentSplitSubject }))?.seq ?? 0;
      const v2 = await this.jsm.consumers.info(stream, Topology.fulfilmentConsumerV2.durable).catch((error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
        throw error;
      });
      return {
        weights: inForce.weights,
        since: inForce.since,
        lastOnSubject,
        ...(stored ? { split: stored.json<Partial<FulfilmentSplitV1>>() } : {}),
        ...(v2 ? { v2: { pending: v2.num_pending, ackPending: v2.num_ack_pending, waiting: v2.num_waiting } } : {}),
      };
    } catch (error) {
      throw new NatsUnavailableError(this.where, `could not tell the message split (${describe(error)})`, { cause: error });
    }
  }

  /**
   * Stores a split message with `weights`, expecting the subject's last message to be the one
   * read (no other canary command in between). Resolves with its ORDERS sequence: every order
   * stored after it is split this way.
   */
  async write(weights: Weights, setBy: string, expectedLast: number): Promise<number> {
    const body: FulfilmentSplitV1 = {
      eventVersion: 1,
      weights: { v1: weights.v1, v2: weights.v2 },
      setAt: new Date().toISOString(),
      setBy,
    };
    const codec = new EventCodec(FulfilmentSplitEvent);
    const weightsProblem = fulfilmentSplitWeights(body);
    const problems = [...codec.problems(body), ...(typeof weightsProblem === 'string' ? [weightsProblem] : [])];
    if (problems.length > 0) throw new MessageSplitFailedError(`the split message would be invalid: ${problems.join('; ')}`);
    try {
      const stream = Topology.ordersStream.name;
      const h = headers();
      // Outlives ORDERS' max_age: the split in force must not age out with the orders before it.
      h.set('Nats-TTL', 'never');
      const ack = await jetstream(this.nc, { timeout: 5_000 }).publish(FulfilmentSplitSubject, codec.encode(body), {
        headers: h,
        // No other split written since this command read it (its whole run, kubectl apply included).
        expect: { streamName: stream, lastSubjectSequence: expectedLast },
      });
      return ack.seq;
    } catch (error) {
      const conflict = error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;
      throw new MessageSplitFailedError(
        conflict
          ? 'another split was written since this command read it (another canary command?); run status, then the command again'
          : `NATS at ${this.where}: ${describe(error)}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
  }
}

/** `canary set 30 (by alice)`: who and what, as the split message records it. */
export function setByLine(command: string): string {
  let user = 'unknown user';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "unknown user"
  }
  return `canary ${command} (by ${user})`;
}

function describe(error: unknown): string {
  const denied = permissionViolationOf(error);
  if (denied) return `${describePermissionViolation(denied)}; the split is written by the administrative identity (NATS_USER=admin)`;
  return error instanceof Error ? error.message : String(error);
}
