import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { eventMessageId, orderSubject, TandemTopology, type OrderCreatedV1 } from '@tandem/contracts';
import { ensureTopology } from '@tandem/messaging';
import { freePort, NatsServer } from '@tandem/testing';
import type { BenchContext } from './bench-context';
import { BenchProcess, recordProcess, track } from './bench-process';
import { fulfilmentConsumerSpec } from './consumer-throughput';
import { median } from './percentiles';
import type { ColdStartResult } from './results';

/**
 * Waking from zero (the fulfilment worker scaled to zero on its backlog: deploy/k8s): an
 * order waits in ORDERS while no consumer runs; then one is spawned, as KEDA would start a
 * pod. Measured: spawn → `/readyz` 200, and spawn → the order's `orders.fulfilled` stored
 * (the wait the order sees, on top of the scaler's polling interval and the pod's
 * scheduling, which do not happen here). Each wake is a new process and a new order on one
 * nats-server with the topology declared.
 */
export async function runColdStart(context: BenchContext): Promise<ColdStartResult> {
  const nats = await NatsServer.start();
  recordProcess('nats-server', nats.pid);
  const untrack = track(nats);
  const nc = await connect({ servers: nats.url });
  try {
    await ensureTopology(nc, TandemTopology, { replicas: 1 });
    const readyMs: number[] = [];
    const firstHandledMs: number[] = [];
    const wakes = context.plan.coldStarts;
    for (let i = 0; i < wakes; i++) {
      const orderId = randomUUID();
      const event: OrderCreatedV1 = {
        eventVersion: 1,
        orderId,
        sku: 'BENCH-1',
        qty: 1,
        createdAt: new Date().toISOString(),
        serviceVersion: 'bench',
      };
      await jetstream(nc).publish(orderSubject('created', orderId), JSON.stringify(event), {
        msgID: eventMessageId('created', orderId),
      });
      // The fulfilled event, as the stream stores it (a JetStream publish reaches core subscribers too).
      const fulfilled = nc.subscribe(orderSubject('fulfilled', orderId), { max: 1 });
      await nc.flush();
      context.progress(`cold start: wake ${i + 1} of ${wakes}`);
      const port = await freePort();
      const spawnedAt = performance.now();
      const consumer = BenchProcess.spawn(fulfilmentConsumerSpec(context, nats.url, port), context.logDir);
      // Readiness polled from the spawn on, beside the order: both measured from the same start.
      const ready = consumer.ready();
      ready.catch(() => undefined); // awaited below
      try {
        const handled = (async () => {
          for await (const _ of fulfilled) return performance.now() - spawnedAt;
          throw new Error('cold start: the subscription ended before the order was fulfilled');
        })();
        const deadline = AbortSignal.timeout(60_000);
        const timedOut = new Promise<never>((_, reject) =>
          deadline.addEventListener('abort', () => reject(new Error(`cold start: order ${orderId} not fulfilled within 60 s`)), {
            once: true,
          }),
        );
        firstHandledMs.push(await Promise.race([handled, timedOut]));
        await ready;
        readyMs.push(consumer.startupMs);
      } finally {
        fulfilled.unsubscribe();
        await consumer.stop();
      }
    }
    return {
      wakes,
      readyMs,
      firstHandledMs,
      readyMedianMs: median(readyMs),
      firstHandledMedianMs: median(firstHandledMs),
      firstHandledMaxMs: Math.max(...firstHandledMs),
    };
  } finally {
    await nc.close();
    await nats.cleanup();
    untrack();
  }
}
