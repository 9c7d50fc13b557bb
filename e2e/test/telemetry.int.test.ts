import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg } from '@nats-io/transport-node';
import { AppProcess, bundleFixture, freePort, ManagedProcess, NatsServer, OtlpCapture, waitFor } from '@tandem/testing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('telemetry in real processes', () => {
  it.each([
    ['http/protobuf', 'endpoint'],
    ['http/json', 'endpoint'],
    ['grpc', 'grpcEndpoint'],
  ] as const)(
    'exports the server spans over OTLP %s with the resource attributes, continuing the incoming trace',
    async (protocol, endpoint) => {
      const capture = await OtlpCapture.start();
      const app = await AppProcess.start('gateway', {
        env: {
          SERVICE_VERSION: 'v2',
          K8S_POD_NAME: 'gateway-7d9f-abcde',
          K8S_NAMESPACE_NAME: 'tandem',
          OTEL_TRACES_EXPORTER: '',
          OTEL_EXPORTER_OTLP_ENDPOINT: capture[endpoint],
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
      });
      try {
        const response = await fetch(`${app.url}/nowhere`, { headers: { traceparent } });
        expect(response.status).toBe(404);
        const span = await waitFor(() => capture.spans.find((s) => s.traceId === TRACE_ID && s.kind === 2), {
          description: 'the server span at the capture server',
        });
        expect(span.transport).toBe(protocol);
        expect(span.resource).toMatchObject({
          'service.name': 'gateway',
          'service.version': 'v2',
          'deployment.environment.name': 'local',
          'k8s.pod.name': 'gateway-7d9f-abcde',
          'k8s.namespace.name': 'tandem',
        });
        expect(span.parentSpanId).toBe('00f067aa0ba902b7');
        // probes are not traced
        await app.get('/readyz');
        expect(capture.spans.some((s) => String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '').includes('readyz'))).toBe(
          false,
        );
        const line = app.logs().find((l) => l['trace_id'] === TRACE_ID);
        expect(line).toBeDefined();
      } finally {
        await app.stop();
        await capture.stop();
      }
    },
  );

  it('runs the instrumentations the standard variables name: by default http and Fastify request/handler spans, no hook spans', async () => {
    const capture = await OtlpCapture.start();
    const env = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
    /** The spans of one request to a gateway started with these variables: `kind name`. */
    /** The telemetry component's `/readyz` detail of each started gateway, by trace id. */
    const detail: Record<string, string | undefined> = {};
    const spansOf = async (extra: Record<string, string>, traceId: string): Promise<string[]> => {
      const app = await AppProcess.start('gateway', { env: { ...env, ...extra } });
      try {
        const ready = (await app.get('/readyz')).body as { components: Array<{ name: string; detail?: string }> };
        detail[traceId] = ready.components.find((c) => c.name === 'telemetry')?.detail;
        const response = await fetch(`${app.url}/openapi.json`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
        expect(response.status).toBe(200);
        await waitFor(() => capture.spans.some((s) => s.traceId === traceId), { description: 'a span of the request' });
        expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null }); // flushes what is left
        return capture.spans
          .filter((s) => s.traceId === traceId)
          .map((s) => `${s.kind} ${s.name}`)
          .sort();
      } finally {
        await app.stop('SIGKILL');
      }
    };
    try {
      // http's SERVER span (kind 2) named by Fastify's route, Fastify's request and route-handler spans (kind 1), no span per hook.
      const byDefault = await spansOf({}, '11111111111111111111111111111111');
      expect(byDefault).toEqual(['1 handler - ' + byDefault[0]?.slice('1 handler - '.length), '1 request', '2 GET /openapi.json']);
      expect(
        byDefault.some((name) => /^1 (onRequest|preParsing|preValidation|preHandler|preSerialization|onSend|onResponse) - /.test(name)),
      ).toBe(false);
      expect(await spansOf({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fastify' }, '22222222222222222222222222222222')).toEqual(['2 GET']);
      // readiness names what runs
      expect(detail['11111111111111111111111111111111']).toContain('instrumentations: http, undici, pino, fastify');
      expect(detail['22222222222222222222222222222222']).toMatch(/instrumentations: http, undici, pino$/);
      const onlyFastify = await spansOf({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'fastify' }, '33333333333333333333333333333333');
      // Without http's span, Fastify's request span is the SERVER span.
      expect(onlyFastify.map((name) => name.replace(/^1 handler - .*/, '1 handler'))).toEqual(['1 handler', '2 request']);
    } finally {
      await capture.stop();
    }
  });

  it('refuses an unknown instrumentation name at start with exit code 78, naming the variable', async () => {
    const app = await AppProcess.start('gateway', { env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,nats' }, waitForReady: false });
    expect((await app.process.exited).code).toBe(78);
    expect(app.process.output()).toContain('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
    expect(app.process.output()).toContain('unknown: nats');
  });

  it('warns once, not per batch, when no collector answers, and still shuts down cleanly', async () => {
    const app = await AppProcess.start('gateway', {
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      },
    });
    try {
      await fetch(`${app.url}/a`);
      await app.process.waitForLine(/telemetry export failed/, 30_000);
      for (let i = 0; i < 5; i++) await fetch(`${app.url}/b${i}`);
      expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null }); // shutdown flushes: one more failed export
      expect(app.process.lines.filter((l) => l.includes('telemetry export failed'))).toHaveLength(1);
    } finally {
      await app.stop('SIGKILL');
    }
  });

  it('refuses an unknown OTEL_TRACES_EXPORTER at start with exit code 78', async () => {
    const app = await AppProcess.start('gateway', { env: { OTEL_TRACES_EXPORTER: 'zipkin' }, waitForReady: false });
    expect((await app.process.exited).code).toBe(78);
    expect(app.process.output()).toContain('OTEL_TRACES_EXPORTER: expected otlp, console or none, got "zipkin"');
  });

  it('with OTEL_TRACES_EXPORTER=none starts no sampled trace of its own, yet passes every trace on: into NATS headers and onto log lines', async () => {
    const nats = await NatsServer.start();
    const nc = await connect({ servers: nats.url });
    const fixture = await bundleFixture(join(__dirname, 'fixtures', 'telemetry-fixture.ts'));
    const port = await freePort();
    const proc = new ManagedProcess('telemetry-fixture', process.execPath, [fixture], {
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port), NATS_URL: nats.url, OTEL_TRACES_EXPORTER: 'none' },
    });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'T', subjects: ['t.>'] });
      const received: Msg[] = [];
      nc.subscribe('t.emit', {
        callback: (_e, m) => {
          received.push(m);
        },
      });
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, {
        description: `fixture ready\n${proc.output()}`,
      });
      const response = await fetch(`http://127.0.0.1:${port}/emit`, { method: 'POST', headers: { traceparent } });
      expect(response.status).toBe(200);
      const message = await waitFor(() => received[0], { description: 'the event' });
      expect(message.headers?.get('traceparent')).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
      const emitting = () => proc.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'emitting');
      expect(emitting()[0]?.['trace_id']).toBe(TRACE_ID);

      // No incoming trace: a new, unsampled one (nothing here exports it, so nothing downstream
      // records it either), still carried into the headers and onto the log line.
      expect((await fetch(`http://127.0.0.1:${port}/emit`, { method: 'POST' })).status).toBe(200);
      const root = await waitFor(() => received[1], { description: 'the second event' });
      const header = root.headers?.get('traceparent') ?? '';
      expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      const rootTraceId = header.split('-')[1];
      expect(rootTraceId).not.toBe(TRACE_ID);
      expect(emitting()[1]?.['trace_id']).toBe(rootTraceId);
    } finally {
      await proc.stop();
      await nc.close();
      await nats.cleanup();
    }
  });
});
