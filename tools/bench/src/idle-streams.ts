import { request, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { NODE_FLAGS } from '@tandem/testing';
import { freePort, NatsServer } from '@tandem/testing';
import { appScript, type BenchContext } from './bench-context';
import { BenchProcess, recordProcess, track } from './bench-process';
import { ORDER_BODY } from './load';
import { cpuMs, rssMiB } from './proc-stats';
import type { IdleStreamsResult } from './results';

/**
 * Many clients waiting on their orders: `streams` event streams
 * (`GET /orders/:id/events`), one per order, held open through the gateway to the order
 * service while nothing happens (no consumer runs, so no order changes), for `idleSec`.
 * Measures what they cost each process: resident memory before and after (per stream), and
 * CPU while idle (heartbeats). Separate processes, tracing off, shipped settings except the
 * per-client bound (every stream comes from this one client).
 */
export async function runIdleStreams(context: BenchContext): Promise<IdleStreamsResult> {
  const { streams, idleSec } = context.plan.idleStreams;
  const nats = await NatsServer.start();
  recordProcess('nats-server', nats.pid);
  const untrack = track(nats);
  const processes: BenchProcess[] = [];
  const open: ClientRequest[] = [];
  try {
    const [orderPort, gatewayPort] = [await freePort(), await freePort()];
    const env = {
      HOST: '127.0.0.1',
      NATS_URL: nats.url,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    };
    const start = (name: 'order' | 'gateway', port: number, extra: Record<string, string>) =>
      BenchProcess.start(
        {
          name,
          script: appScript(context, name),
          nodeFlags: context.nodeFlags ?? NODE_FLAGS,
          env: { ...env, PORT: String(port), ...extra },
          readyUrl: `http://127.0.0.1:${port}/readyz`,
        },
        context.logDir,
      );
    context.progress(`idle-streams: starting order and gateway`);
    processes.push(await start('order', orderPort, {}));
    processes.push(
      await start('gateway', gatewayPort, { ORDER_URL: `http://127.0.0.1:${orderPort}`, EVENTS_MAX_PER_CLIENT: String(streams) }),
    );
    const base = `http://127.0.0.1:${gatewayPort}`;
    context.progress(`idle-streams: creating ${streams} orders`);
    const ids: string[] = [];
    for (let i = 0; i < streams; i += 50) {
      const batch = Array.from({ length: Math.min(50, streams - i) }, () => createOrder(base));
      ids.push(...(await Promise.all(batch)));
    }
    const measured = [...processes.map((p) => ({ name: p.name, pid: p.pid })), { name: 'nats-server', pid: nats.pid ?? -1 }];
    const rssBefore = measured.map((p) => rssMiB(p.pid));

    context.progress(`idle-streams: opening ${streams} event streams`);
    const openStart = performance.now();
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(ids.slice(i, i + 50).map((id) => openStream(`${base}/orders/${id}/events`, open)));
    }
    const openSec = (performance.now() - openStart) / 1000;

    context.progress(`idle-streams: ${open.length} open, idle for ${idleSec} s`);
    const cpuBefore = measured.map((p) => cpuMs(p.pid));
    await new Promise((resolve) => setTimeout(resolve, idleSec * 1_000));
    const cpu = measured.map((p, i) => cpuMs(p.pid) - (cpuBefore[i] as number));
    const rssAfter = measured.map((p) => rssMiB(p.pid));
    const memory = new Map(processes.map((p) => [p.name, p.memory()]));
    return {
      streams,
      opened: open.length,
      openSec,
      idleSec,
      processes: measured.map((p, i) => {
        const before = rssBefore[i] as number;
        const after = rssAfter[i] as number;
        return {
          name: p.name,
          rssBeforeMiB: before,
          rssAfterMiB: after,
          kibPerStream: ((after - before) * 1024) / Math.max(1, open.length),
          cpuMsPerSec: (cpu[i] as number) / idleSec,
          ...(memory.get(p.name) ?? {}),
        };
      }),
    };
  } finally {
    for (const req of open) req.destroy();
    for (const p of [...processes].reverse()) await p.stop();
    await nats.cleanup();
    untrack();
  }
}

async function createOrder(base: string): Promise<string> {
  const response = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ORDER_BODY });
  if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** Opens one stream on a connection of its own; resolves once its first event arrived. */
function openStream(url: string, open: ClientRequest[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } }, (response) => {
      if (response.statusCode !== 200) {
        reject(new Error(`${url} answered ${response.statusCode}`));
        response.resume();
        return;
      }
      open.push(req);
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (!text.includes('\n\n')) return;
        response.off('data', onData);
        // Keep reading (heartbeats) so the stream stays healthy, as a real client would.
        response.resume();
        resolve();
      };
      response.on('data', onData);
    });
    req.once('error', reject);
    req.end();
  });
}
