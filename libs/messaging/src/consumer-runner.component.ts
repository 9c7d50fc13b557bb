import { JetStreamApiCodes, JetStreamApiError, jetstream, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, millis, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  delay,
  whenAborted,
  type BackoffPolicy,
  type Component,
  type ComponentHealth,
  type Deadline,
  type StartContext,
} from '@tandem/runtime';
import type { Logger } from 'pino';
import type { Static, TSchema } from 'typebox';
import { describePermissionViolation, permissionViolationOf, SchemaViolationError } from './errors';
import { EventCodec, type EventType } from './event-codec';
import { deadLetter, isLastDelivery } from './middleware/dead-letter';
import { metrics as metricsMiddleware, type MessagingMetrics } from './middleware/metrics';
import { chain, type Delivery, type Middleware, type Outcome, type Processor } from './middleware/middleware';
import { retry } from './middleware/retry';
import { waitForBroker } from './middleware/wait-for-broker';
import { tracing } from './middleware/tracing';
import type { NatsConnectionComponent } from './nats-connection.component';
import { CONSUMER_DEFAULTS, ensureTopology, type ConsumerSpec } from './topology';

/** What a handler knows about the message it handles. */
export interface MessageContext {
  readonly subject: string;
  readonly streamSequence: number;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  readonly msgId?: string;
  readonly headers?: MsgHdrs;
  /** Aborted at the per-message deadline or when a stop runs out of time. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** Return → ack. Throw → nak with growing delay. Throw {@link PermanentError} → dead letter. */
export type MessageHandler<T> = (payload: T, context: MessageContext) => Promise<void>;

export interface ConsumerRunnerOptions<S extends TSchema> {
  readonly connection: NatsConnectionComponent;
  /** The durable consumer (declared beforehand); its max_deliver and ack_wait are read from the server when consuming starts. */
  readonly consumer: ConsumerSpec;
  readonly event: EventType<S>;
  readonly handler: MessageHandler<Static<S>>;
  /** Messages handled at once. Default 16. */
  readonly concurrency?: number;
  /** Per-message deadline; past it the handler's signal aborts and the message is nakked. Default 60 s. */
  readonly handlerTimeoutMs?: number;
  /** Delays of `nak` after failures. Default 1 s, 2 s, ×1.5 up to 30 s. */
  readonly retryBackoff?: BackoffPolicy;
  /** Dead letters go to `<prefix><original subject>`. Default `dlq.`. */
  readonly deadLetterPrefix?: string;
  /** Part of a stop's deadline kept for nakking unfinished messages. Default 1 s. */
  readonly nakMarginMs?: number;
  /** Component name. Default `consumer:<durable>`. */
  readonly name?: string;
  /** Record the messaging metrics here. */
  readonly metrics?: MessagingMetrics;
  /** A component that must be ready before the first pull (e.g. the TopologyComponent creating the consumer). */
  readonly requires?: Component;
  /** Replicas when the runner has to recreate its consumer. Default 1. */
  readonly replicas?: number;
  /** Extra middleware, innermost (closest to the handler). */
  readonly middleware?: readonly Middleware[];
  /**
   * Decides first whether this runner handles a message at all (e.g. `versionSplit`): outside
   * dead-lettering and retries, so a message it leaves to another consumer is never dead-lettered
   * here. Counted and traced like any outcome.
   */
  readonly gate?: Middleware;
}

/** How long one pull request waits for messages; also the longest a stop waits for the last pull to end. */
const FETCH_EXPIRES_MS = 1_000;
/** Redelivery delay of a message nakked because the runner is stopping: longer than any pull of this runner can still be open. */
const STOPPING_NAK_DELAY_MS = 2 * FETCH_EXPIRES_MS;
/**
 * How long a busy runner waits for half its slots to free up before pulling for fewer:
 * one pull per batch instead of one per finished message (each pull is a request the server
 * answers), and never a long stall behind a few slow messages.
 */
const REFILL_WAIT_MS = 20;

/** Headers a dead-lettered message carries (SPEC §4). */
export const DeadLetterHeaders = Object.freeze({
  originalSubject: 'Tandem-Original-Subject',
  originalStream: 'Tandem-Original-Stream',
  originalSequence: 'Tandem-Original-Sequence',
  originalMsgId: 'Tandem-Original-Msg-Id',
  deliveryCount: 'Tandem-Delivery-Count',
  consumer: 'Tandem-Consumer',
  error: 'Tandem-Error',
  /** Set (to the body's size in bytes) when the body did not fit beside these headers under max_payload and was left out. */
  bodyOmitted: 'Tandem-Body-Omitted',
} as const);

/**
 * Room kept for the dead-letter headers (the error is cut at 1024 bytes; with subjects,
 * names and `Nats-Msg-Id` they stay well under this).
 */
const DEAD_LETTER_HEADROOM_BYTES = 4_096;

/**
 * The body a dead letter can carry: the original, unless it would not fit under the
 * server's `max_payload` beside the dead-letter headers — then none, so that the dead
 * letter (naming stream and sequence, where the original stays) is still written.
 */
export function deadLetterBody(data: Uint8Array, maxPayload: number | undefined): { body: Uint8Array; omitted: boolean } {
  if (maxPayload !== undefined && data.length + DEAD_LETTER_HEADROOM_BYTES > maxPayload) return { body: new Uint8Array(0), omitted: true };
  return { body: data, omitted: false };
}

interface InFlight {
  readonly msg: JsMsg;
  readonly controller: AbortController;
  settled: boolean;
  done?: Promise<void>;
}

/**
 * Runs a handler over a durable JetStream pull consumer as a component (SPEC §4):
 * bounded concurrency (it pulls only as many messages as it has free handler slots, in batches:
 * when half the slots are free, or after 20 ms with any free); a per-message
 * deadline, with `working()` sent while a long handler runs; ack on success; `nak(delay)`
 * with growing delay on failure; dead letter (republished with {@link DeadLetterHeaders},
 * then `term`) for schema violations, {@link PermanentError}s and the last allowed
 * delivery — so a poison message never blocks the messages behind it. A failed pull
 * (broker gone, consumer missing) is retried with backoff. Stop: stop pulling, let in-flight handlers
 * finish and ack, nak whatever cannot finish before the deadline.
 */
export class ConsumerRunner<S extends TSchema> implements Component {
  readonly name: string;
  readonly dependsOn: readonly string[];
  private readonly codec: EventCodec<S>;
  private readonly pipeline: Processor;
  private readonly inFlight = new Set<InFlight>();
  /** The consumer's max_deliver and ack_wait: as declared, then as the server has them (read when consuming starts). */
  private maxDeliver: number;
  private ackWaitMs: number;
  private openFetch?: { stop(): void };
  private loop?: Promise<void>;
  private stopping = false;
  /** Aborted when intake stops: handlers waiting for NATS give up their wait (the message is handed back). */
  private stopped = new AbortController();
  private consuming = false;
  private detail = 'not started';

  constructor(private readonly options: ConsumerRunnerOptions<S>) {
    if (options.concurrency !== undefined && !(Number.isInteger(options.concurrency) && options.concurrency >= 1))
      throw new RangeError(
        `consumer ${options.consumer.durable}: concurrency must be a whole number of at least 1, got ${options.concurrency}`,
      );
    this.name = options.name ?? `consumer:${options.consumer.durable}`;
    this.dependsOn = [options.connection.name, ...(options.requires ? [options.requires.name] : [])];
    this.codec = new EventCodec(options.event);
    this.maxDeliver = options.consumer.maxDeliver ?? CONSUMER_DEFAULTS.maxDeliver;
    this.ackWaitMs = options.consumer.ackWaitMs ?? CONSUMER_DEFAULTS.ackWaitMs;
    this.pipeline = chain(
      [
        tracing(),
        ...(options.metrics ? [metricsMiddleware(options.metrics)] : []),
        ...(options.gate ? [options.gate] : []),
        deadLetter(() => this.maxDeliver),
        retry(options.retryBackoff ?? DEFAULT_BACKOFF),
        waitForBroker(
          { connected: () => options.connection.connection() !== undefined, stopping: () => this.stopped.signal },
          options.retryBackoff ?? DEFAULT_BACKOFF,
        ),
        ...(options.middleware ?? []),
      ],
      (delivery) => this.process(delivery),
    );
  }

  async start(context: StartContext): Promise<void> {
    this.stopping = false;
    this.stopped = new AbortController();
    this.loop = this.run(context);
  }

  quiesce(): void {
    this.stopping = true;
    this.stopped.abort(new Error('consumer stopping'));
    this.consuming = false;
    this.detail = 'stopped pulling';
  }

  async stop(deadline: Deadline): Promise<void> {
    this.quiesce();
    // While disconnected nats.js parks an open fetch until the reconnect, and nothing can
    // arrive through it: end it, or the stop would wait out the whole deadline.
    if (!this.options.connection.connection()) this.openFetch?.stop();
    const margin = this.options.nakMarginMs ?? 1_000;
    const all = Promise.all([...this.inFlight].map((f) => f.done));
    const finished = await Promise.race([
      all.then(() => true),
      whenAborted(AbortSignal.timeout(Math.max(0, Math.floor(deadline.remaining() - margin)))).then(() => false),
    ]);
    if (!finished) {
      for (const flight of this.inFlight) {
        if (flight.settled) continue;
        flight.settled = true;
        flight.controller.abort(new Error('consumer stopping'));
        flight.msg.nak();
      }
    }
    await Promise.race([this.loop, whenAborted(deadline.signal)]);
  }

  health(): ComponentHealth {
    return { ready: this.consuming, detail: this.detail };
  }

  holding(): string | undefined {
    return this.inFlight.size > 0 ? `${this.inFlight.size} message(s) in flight` : undefined;
  }

  private async run(context: StartContext): Promise<void> {
    const { consumer } = this.options;
    const concurrency = this.options.concurrency ?? 16;
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const nc = await this.options.connection.whenConnected(context.signal);
        while (this.options.requires && !this.options.requires.health().ready && !this.stopping) {
          this.detail = `waiting for ${this.options.requires.name}`;
          await delay(100, context.signal);
        }
        if (this.stopping) break;
        const pull = await jetstream(nc).consumers.get(consumer.stream, consumer.durable);
        // The declaration (the administrative identity's) decides these, not this process's copy.
        const { config } = await pull.info(true);
        this.maxDeliver = config.max_deliver ?? -1;
        if (config.ack_wait) this.ackWaitMs = millis(config.ack_wait);
        this.consuming = true;
        this.detail = `consuming ${consumer.stream}/${consumer.durable}`;
        attempt = 0;
        // fetch() rather than consume(): a pull stopped early drops the messages the server
        // already sent it, and they sit unacked until ack_wait. A fetch asks for no more
        // messages than there are free slots and always runs to its end, so every delivered
        // message is either handled or nakked at once.
        const refillAt = Math.ceil(concurrency / 2);
        while (!this.stopping) {
          if (concurrency - this.inFlight.size < refillAt) await this.slotsFree(concurrency, refillAt);
          const free = concurrency - this.inFlight.size;
          if (free <= 0 || this.stopping) continue;
          const batch = await pull.fetch({ max_messages: free, expires: FETCH_EXPIRES_MS });
          this.openFetch = batch;
          void this.sampleBacklog(pull);
          for await (const msg of batch) {
            // Arrived after stop-intake: hand it back for another instance. Not a plain nak: the
            // server would redeliver it at once into this same pending fetch, round after round,
            // until max_deliver — and then drop it without a dead letter. Past the fetch's expiry
            // nothing here can take it. A message on its last allowed delivery is handled instead.
            if (this.stopping && !isLastDelivery(msg.info.deliveryCount, this.maxDeliver)) msg.nak(STOPPING_NAK_DELAY_MS);
            else this.dispatch(msg, context.logger);
          }
          this.openFetch = undefined;
        }
      } catch (error) {
        if (this.stopping || context.signal.aborted) break;
        this.consuming = false;
        if (isConsumerNotFound(error)) {
          const nc = await this.options.connection.whenConnected(context.signal);
          if (nc.info?.auth_required) {
            // Deleted behind our back: only the administrative identity may declare it again.
            context.logger.error(
              { consumer: consumer.durable },
              `consumer ${consumer.stream}/${consumer.durable} does not exist: declare the topology (npm run nats:topology); retrying`,
            );
          } else {
            // An open server (tests): declare it again and carry on.
            context.logger.warn({ consumer: consumer.durable }, 'consumer not found; recreating it');
            await ensureTopology(nc, { consumers: [consumer] }, { replicas: this.options.replicas ?? 1 }).catch((e: unknown) =>
              context.logger.warn({ err: e }, 'recreating the consumer failed'),
            );
          }
        }
        if (!this.options.connection.connection()) {
          // The broker is gone: the connection reconnects with its own backoff. Resume as
          // soon as it is back instead of piling up our own, longer, retry delays.
          this.detail = 'waiting for the NATS connection';
          while (!this.options.connection.connection() && !this.stopping && !context.signal.aborted)
            await delay(100, context.signal).catch(() => undefined);
          attempt = -1;
          continue;
        }
        const wait = backoffDelay(attempt, DEFAULT_BACKOFF);
        const denied = permissionViolationOf(error) ?? this.refusedPull();
        const reason = denied ? describePermissionViolation(denied) : (error as Error).message;
        this.detail = `cannot consume ${consumer.stream}/${consumer.durable}: ${reason}; retry in ${wait} ms`;
        if (denied) context.logger.error({ err: error, subject: denied.subject }, `consumer refused by NATS: ${reason}; retrying`);
        else context.logger.warn({ err: error, retryInMs: wait }, 'consumer failed; retrying');
        await delay(wait, context.signal).catch(() => undefined);
      }
    }
    this.consuming = false;
    await Promise.all([...this.inFlight].map((f) => f.done));
  }

  /**
   * A pull request the server refused to this user fails without an answer, as missed
   * heartbeats: the connection's record of the refusal says why.
   */
  private refusedPull() {
    const notice = this.options.connection.lastPermissionViolation();
    const { stream, durable } = this.options.consumer;
    if (!notice || Date.now() - notice.at > 2 * FETCH_EXPIRES_MS + 5_000) return undefined;
    return notice.subject === `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}` ? notice.error : undefined;
  }

  /**
   * Waits until `wanted` of the `concurrency` slots are free, or {@link REFILL_WAIT_MS} has
   * passed and at least one is; a stop ends the wait.
   */
  private async slotsFree(concurrency: number, wanted: number): Promise<void> {
    let timedOut = false;
    const timer = delay(REFILL_WAIT_MS).then(() => {
      timedOut = true;
    });
    while (!this.stopping && this.inFlight.size > 0) {
      const free = concurrency - this.inFlight.size;
      if (free >= wanted || (timedOut && free > 0)) return;
      // Once the timer has fired only a finished message can change anything: racing the
      // resolved timer again would spin.
      const finished = [...this.inFlight].map((f) => f.done);
      await Promise.race(timedOut ? finished : [timer, ...finished]);
    }
  }

  private lastSample = 0;

  /** Updates the pending / ack-pending gauges at most every 5 s. */
  private async sampleBacklog(pull: Consumer): Promise<void> {
    const m = this.options.metrics;
    if (!m || Date.now() - this.lastSample < 5_000) return;
    this.lastSample = Date.now();
    const info = await pull.info().catch(() => undefined);
    if (!info) return;
    m.consumerPending.set({ consumer: this.options.consumer.durable }, info.num_pending);
    m.consumerAckPending.set({ consumer: this.options.consumer.durable }, info.num_ack_pending);
  }

  private dispatch(msg: JsMsg, logger: Logger): void {
    const flight: InFlight = { msg, controller: new AbortController(), settled: false };
    this.inFlight.add(flight);
    flight.done = this.handle(flight, logger)
      .catch((error: unknown) => logger.error({ err: error, seq: msg.seq }, 'settling a message failed'))
      .finally(() => this.inFlight.delete(flight));
  }

  /** The innermost step: decode and validate, then run the handler within its deadline. */
  private async process(delivery: Delivery): Promise<Outcome> {
    const decoded = this.codec.decode(delivery.data);
    if (decoded.problems.length > 0) throw new SchemaViolationError(decoded.problems);
    const { signal } = delivery;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([
        this.options.handler(decoded.value as Static<S>, {
          subject: delivery.subject,
          streamSequence: delivery.streamSequence,
          deliveryCount: delivery.deliveryCount,
          ...(delivery.msgId === undefined ? {} : { msgId: delivery.msgId }),
          ...(delivery.headers === undefined ? {} : { headers: delivery.headers }),
          signal,
          logger: delivery.logger,
        }),
        aborted,
      ]);
    } finally {
      // A handler run again in the same delivery (waitForBroker) must not pile up listeners.
      if (onAbort) signal.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
    return { action: 'ack' };
  }

  private async handle(flight: InFlight, baseLogger: Logger): Promise<void> {
    const { msg, controller } = flight;
    // The template, not the subject: one order is one subject (its id is in the handler's own lines).
    const logger = baseLogger.child({ subject: this.options.event.subject, seq: msg.seq, deliveryCount: msg.info.deliveryCount });
    const ackWaitMs = this.ackWaitMs;
    // Every quarter of ack_wait: when NATS goes away the message still has at least three
    // quarters of it left, so an outage that short costs no redelivery (waitForBroker).
    const keepAlive = setInterval(() => msg.working(), Math.max(100, ackWaitMs / 4));
    const timeoutMs = this.options.handlerTimeoutMs ?? 60_000;
    const timer = setTimeout(() => controller.abort(new Error(`handler exceeded ${timeoutMs} ms`)), timeoutMs);
    const msgId = msg.headers?.get('Nats-Msg-Id');
    let outcome: Outcome;
    try {
      outcome = await this.pipeline({
        subject: msg.subject,
        subjectTemplate: this.options.event.subject,
        stream: msg.info.stream,
        consumer: msg.info.consumer,
        streamSequence: msg.seq,
        deliveryCount: msg.info.deliveryCount,
        ...(msgId ? { msgId } : {}),
        ...(msg.headers ? { headers: msg.headers } : {}),
        data: msg.data,
        signal: controller.signal,
        logger,
      });
    } catch (error) {
      // A middleware failed: retry the message later.
      logger.error({ err: error }, 'message pipeline failed');
      outcome = { action: 'nak', delayMs: backoffDelay(msg.info.deliveryCount - 1, this.options.retryBackoff ?? DEFAULT_BACKOFF), error };
    } finally {
      clearInterval(keepAlive);
      clearTimeout(timer);
    }
    await this.settle(flight, outcome, logger);
  }

  /** The one place where outcomes become acks, naks and dead letters. */
  private async settle(flight: InFlight, outcome: Outcome, logger: Logger): Promise<void> {
    if (flight.settled) return;
    switch (outcome.action) {
      case 'ack':
        flight.settled = true;
        await flight.msg.ackAck().catch((error: unknown) => {
          const denied = permissionViolationOf(error);
          // Refused: a plain ack would be refused too; the message comes back after ack_wait.
          if (denied) logger.error({ err: error }, `ack refused by NATS: ${describePermissionViolation(denied)}`);
          else flight.msg.ack();
        });
        return;
      case 'nak':
        flight.settled = true;
        flight.msg.nak(outcome.delayMs);
        return;
      case 'dead-letter':
        await this.deadLetter(flight, outcome.reason, logger);
        return;
    }
  }

  /** Republishes to the dead-letter subject and terminates the original; naks instead if that publish fails, so nothing is lost. */
  private async deadLetter(flight: InFlight, reason: string, logger: Logger): Promise<void> {
    const { msg } = flight;
    flight.settled = true;
    const nc = this.options.connection.connection();
    try {
      if (!nc) throw new Error('not connected to NATS');
      await publishDeadLetter(
        nc,
        {
          subject: msg.subject,
          stream: msg.info.stream,
          sequence: msg.seq,
          deliveryCount: msg.info.deliveryCount,
          consumer: msg.info.consumer,
          data: msg.data,
          ...(msg.headers?.get('Nats-Msg-Id') ? { msgId: msg.headers.get('Nats-Msg-Id') } : {}),
          reason,
        },
        this.options.deadLetterPrefix,
      );
      // No reason payload: nats-server 2.9 does not understand `+TERM <reason>` and ignores
      // it, leaving the message to be redelivered after ack_wait. The reason is in the DLQ.
      msg.term();
      logger.warn({ reason }, 'message dead-lettered');
    } catch (error) {
      // On the last delivery this nak is final: the server then publishes its MAX_DELIVERIES
      // advisory, which the dead-letters consumer turns into the dead letter (MaxDeliveries).
      logger.error({ err: error, reason }, 'dead-lettering failed; message will be redelivered or dead-lettered from the advisory');
      msg.nak(backoffDelay(msg.info.deliveryCount - 1, this.options.retryBackoff ?? DEFAULT_BACKOFF));
    }
  }
}

/** A message on its way to the dead-letter stream, and why. */
export interface DeadLetter {
  readonly subject: string;
  readonly stream: string;
  readonly sequence: number;
  readonly deliveryCount: number;
  readonly consumer: string;
  readonly data: Uint8Array;
  readonly msgId?: string;
  readonly reason: string;
}

/**
 * Publishes `<prefix><subject>` with {@link DeadLetterHeaders}, de-duplicated by the server on
 * `dlq:<stream>:<sequence>` (the runner and the advisory path may both try). Throws when the
 * dead-letter stream does not store it.
 */
export async function publishDeadLetter(nc: NatsConnection, letter: DeadLetter, prefix = 'dlq.'): Promise<void> {
  const h = natsHeaders();
  h.set(DeadLetterHeaders.originalSubject, letter.subject);
  h.set(DeadLetterHeaders.originalStream, letter.stream);
  h.set(DeadLetterHeaders.originalSequence, String(letter.sequence));
  h.set(DeadLetterHeaders.deliveryCount, String(letter.deliveryCount));
  h.set(DeadLetterHeaders.consumer, letter.consumer);
  h.set(DeadLetterHeaders.error, letter.reason.replace(/[\r\n]+/g, ' ').slice(0, 1024));
  if (letter.msgId) h.set(DeadLetterHeaders.originalMsgId, letter.msgId);
  // A poison message near max_payload cannot be republished with headers: without this
  // it would fail every attempt and be parked silently after max_deliver.
  const { body, omitted } = deadLetterBody(letter.data, nc.info?.max_payload);
  if (omitted) h.set(DeadLetterHeaders.bodyOmitted, String(letter.data.length));
  await jetstream(nc).publish(`${prefix}${letter.subject}`, body, {
    msgID: `dlq:${letter.stream}:${letter.sequence}`,
    headers: h,
    timeout: 5_000,
  });
}

function isConsumerNotFound(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === JetStreamApiCodes.ConsumerNotFound;
  return error instanceof Error && /consumer not found/i.test(error.message);
}
