import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { deadlineIn, type StartContext } from '@tandem/runtime';
import { NatsServer, waitFor } from '@tandem/testing';
import pino from 'pino';
import Type from 'typebox';
import { ConsumerRunner } from '../src/consumer-runner.component';
import { NatsConnectionComponent } from '../src/nats-connection.component';
import { Publisher } from '../src/publisher';
import { ensureTopology, type ConsumerSpec } from '../src/topology';

const Job = Type.Object({ id: Type.String() });
const fast = { initialMs: 50, secondMs: 100, factor: 1.5, maxMs: 500, jitter: 0 };
const ctx = (): StartContext => ({ signal: new AbortController().signal, logger: pino({ level: 'silent' }), fail: () => undefined });

describe('tracing over real NATS', () => {
  let server: NatsServer;
  let nats: NatsConnectionComponent;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

  beforeAll(async () => {
    // What the telemetry bootstrap registers in a service; here only what the test needs.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    server = await NatsServer.start();
    nats = new NatsConnectionComponent({ servers: [server.url], clientName: 'trace', backoff: fast });
    await nats.start(ctx());
    await ensureTopology(await nats.whenConnected(), { streams: [{ name: 'T', subjects: ['t.>'] }] }, { replicas: 1 });
  });
  afterAll(async () => {
    await nats?.stop(deadlineIn(5_000));
    await server?.cleanup();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it("continues the publisher's trace in the handler: one trace, PRODUCER parent of CONSUMER, span names by subject template, messaging attributes", async () => {
    const consumer: ConsumerSpec = { stream: 'T', durable: 'traced', filterSubject: 't.traced.*' };
    await ensureTopology(await nats.whenConnected(), { consumers: [consumer] }, { replicas: 1 });
    let handlerTraceId: string | undefined;
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 't.traced.*', schema: Job },
      handler: async () => {
        handlerTraceId = trace.getActiveSpan()?.spanContext().traceId;
      },
    });
    await runner.start(ctx());
    try {
      const root = provider.getTracer('test').startSpan('POST /orders');
      await context.with(trace.setSpan(context.active(), root), () =>
        new Publisher(nats).publish({ subject: 't.traced.*', schema: Job }, { id: 'x' }, { subject: 't.traced.x', msgId: 'traced-1' }),
      );
      root.end();
      await waitFor(() => handlerTraceId, { description: 'the handler to run' });
      expect(handlerTraceId).toBe(root.spanContext().traceId);
      await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'process t.traced.*'), { description: 'consumer span ended' });
      const spans = exporter.getFinishedSpans();
      const producer = spans.find((s) => s.name === 'publish t.traced.*');
      const consumerSpan = spans.find((s) => s.name === 'process t.traced.*');
      expect(producer?.kind).toBe(SpanKind.PRODUCER);
      expect(consumerSpan?.kind).toBe(SpanKind.CONSUMER);
      expect(producer?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(consumerSpan?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
      expect(consumerSpan?.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.destination.name': 't.traced.x',
        'messaging.destination.template': 't.traced.*',
        'messaging.message.id': 'traced-1',
        'messaging.nats.delivery_count': 1,
      });
    } finally {
      await runner.stop(deadlineIn(5_000));
    }
  });

  it('under an upstream decision not to sample, starts no spans of its own yet carries the trace through the message to the handler', async () => {
    const consumer: ConsumerSpec = { stream: 'T', durable: 'unsampled', filterSubject: 't.unsampled' };
    await ensureTopology(await nats.whenConnected(), { consumers: [consumer] }, { replicas: 1 });
    const seen: { traceId?: string; spanId?: string; recording?: boolean } = {};
    const runner = new ConsumerRunner({
      connection: nats,
      consumer,
      event: { subject: 't.unsampled', schema: Job },
      handler: async () => {
        const span = trace.getActiveSpan();
        seen.traceId = span?.spanContext().traceId;
        seen.spanId = span?.spanContext().spanId;
        seen.recording = span?.isRecording();
      },
    });
    const headers: string[] = [];
    const sub = (await nats.whenConnected()).subscribe('t.unsampled', {
      callback: (_e, m) => {
        headers.push(m.headers?.get('traceparent') ?? '');
      },
    });
    await runner.start(ctx());
    try {
      // An incoming request whose caller did not sample it (flags 00).
      const unsampled = trace.setSpanContext(context.active(), {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 0,
        isRemote: true,
      });
      exporter.reset();
      await context.with(unsampled, () =>
        new Publisher(nats).publish({ subject: 't.unsampled', schema: Job }, { id: 'y' }, { msgId: 'unsampled-1' }),
      );
      await waitFor(() => seen.traceId, { description: 'the handler to run' });
      // A span started here (even a non-recording one) would have a new span id: the
      // header and the handler's context carry the caller's own.
      expect(headers).toEqual(['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00']);
      expect(seen).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', recording: false });
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([]);
    } finally {
      sub.unsubscribe();
      await runner.stop(deadlineIn(5_000));
    }
  });
});
