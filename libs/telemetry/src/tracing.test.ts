import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { telemetrySettings } from './tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** What the sampler decides for a new root span, and for a child of a sampled remote parent. */
function decisions(env: Record<string, string>) {
  const { sampler } = telemetrySettings(env);
  const root = sampler.shouldSample(ROOT_CONTEXT, TRACE_ID, 'root', SpanKind.SERVER, {}, []).decision;
  const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const child = sampler.shouldSample(sampledParent, TRACE_ID, 'child', SpanKind.SERVER, {}, []).decision;
  return { root, child };
}

describe('telemetrySettings: the OTEL_* variables, checked', () => {
  it('with no exporter, starts no recorded traces but continues a sampled one', () => {
    const settings = telemetrySettings({});
    expect(settings).toMatchObject({ exporter: 'none', samplerName: 'parentbased_always_off', problems: [] });
    expect(decisions({})).toEqual({ root: SamplingDecision.NOT_RECORD, child: SamplingDecision.RECORD_AND_SAMPLED });
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: 'none' }).samplerName).toBe('parentbased_always_off');
  });

  it('with an exporter, records every trace by default (parent-based always-on)', () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(telemetrySettings(env)).toMatchObject({ exporter: 'otlp', samplerName: 'parentbased_always_on', problems: [] });
    expect(decisions(env)).toEqual({ root: SamplingDecision.RECORD_AND_SAMPLED, child: SamplingDecision.RECORD_AND_SAMPLED });
  });

  it('lets an explicit OTEL_TRACES_SAMPLER win, ratio included', () => {
    expect(decisions({ OTEL_TRACES_EXPORTER: 'none', OTEL_TRACES_SAMPLER: 'always_on' }).root).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decisions({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'parentbased_always_off' })).toEqual({
      root: SamplingDecision.NOT_RECORD,
      child: SamplingDecision.RECORD_AND_SAMPLED,
    });
    expect(decisions({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).root).toBe(SamplingDecision.NOT_RECORD);
    expect(decisions({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' }).root).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(telemetrySettings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }).problems).toEqual([]);
  });

  it('names each variable it cannot honour instead of falling back silently', () => {
    const { problems } = telemetrySettings({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
      OTEL_PROPAGATORS: 'tracecontext,jaeger',
      OTEL_BSP_SCHEDULE_DELAY: 'soon',
      OTEL_BSP_MAX_QUEUE_SIZE: '0',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '-1',
      OTEL_SDK_DISABLED: 'yes',
    });
    expect(problems.map((p) => [p.variable, p.received])).toEqual([
      ['OTEL_SDK_DISABLED', 'yes'],
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'thrift'],
      ['OTEL_TRACES_SAMPLER', 'jaeger_remote'],
      ['OTEL_PROPAGATORS', 'tracecontext,jaeger'],
      ['OTEL_BSP_SCHEDULE_DELAY', 'soon'],
      ['OTEL_BSP_MAX_QUEUE_SIZE', '0'],
      ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', '-1'],
    ]);
    expect(telemetrySettings({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }).problems).toEqual([
      expect.objectContaining({ variable: 'OTEL_TRACES_SAMPLER_ARG', received: '1.5' }),
    ]);
  });

  it('exports OTLP over http/protobuf (default), http/json or grpc, the signal-specific variable winning', () => {
    const otlp = { OTEL_TRACES_EXPORTER: 'otlp' };
    expect(telemetrySettings(otlp)).toMatchObject({ protocol: 'http/protobuf', problems: [] });
    expect(telemetrySettings({ ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toMatchObject({ protocol: 'http/json', problems: [] });
    expect(telemetrySettings({ ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'GRPC' })).toMatchObject({ protocol: 'grpc', problems: [] });
    expect(
      telemetrySettings({ ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }),
    ).toMatchObject({ protocol: 'grpc', problems: [] });
  });

  it('reads the batch processor and span limit settings', () => {
    const settings = telemetrySettings({
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BSP_EXPORT_TIMEOUT: '500',
      OTEL_BSP_MAX_QUEUE_SIZE: '4096',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '256',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '64',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '0',
    });
    expect(settings.batch).toEqual({ scheduledDelayMillis: 100, exportTimeoutMillis: 500, maxQueueSize: 4096, maxExportBatchSize: 256 });
    expect(settings.spanLimits).toEqual({ attributeCountLimit: 64, eventCountLimit: 0 });
  });

  it('propagates W3C trace context and baggage by default; none means nothing', () => {
    expect(telemetrySettings({}).propagator?.fields()).toEqual(['traceparent', 'tracestate', 'baggage']);
    expect(telemetrySettings({ OTEL_PROPAGATORS: 'tracecontext' }).propagator?.fields()).toEqual(['traceparent', 'tracestate']);
    expect(telemetrySettings({ OTEL_PROPAGATORS: 'none' }).propagator).toBeUndefined();
    expect(telemetrySettings({ OTEL_PROPAGATORS: 'tracecontext,b3' }).propagator?.fields()).toEqual(['traceparent', 'tracestate', 'b3']);
    expect(telemetrySettings({ OTEL_PROPAGATORS: 'b3multi' }).propagator?.fields()).toContain('x-b3-traceid');
  });

  it('reads enum values case-insensitively, as the OTel spec says, and names the variable that was wrong', () => {
    expect(
      telemetrySettings({
        OTEL_TRACES_EXPORTER: ' OTLP ',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON',
        OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio',
        OTEL_TRACES_SAMPLER_ARG: '0.5',
        OTEL_PROPAGATORS: 'TraceContext,Baggage',
        OTEL_SDK_DISABLED: 'False',
      }),
    ).toMatchObject({ exporter: 'otlp', protocol: 'http/json', samplerName: 'parentbased_traceidratio', problems: [] });
    expect(
      telemetrySettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/thrift' }).problems.map(
        (p) => p.variable,
      ),
    ).toEqual(['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']);
  });

  it('OTEL_SDK_DISABLED=true turns everything off, and then nothing else is checked', () => {
    expect(telemetrySettings({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' })).toMatchObject({
      disabled: true,
      exporter: 'none',
      samplerName: 'off',
    });
    expect(telemetrySettings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'zipkin', OTEL_TRACES_SAMPLER: 'nope' }).problems).toEqual(
      [],
    );
  });
});
