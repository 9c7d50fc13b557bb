import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppProcess, NatsServer, OtlpCapture, waitFor, workspaceRoot } from '@tandem/testing';
import { parse, parseAllDocuments } from 'yaml';

/** The Grafana derived field that opens a log line's trace (deploy/observability/logs.yaml), as a RegExp. */
function traceIdMatcher(): RegExp {
  const manifest = readFileSync(join(workspaceRoot(), 'deploy/observability/logs.yaml'), 'utf8');
  const config = parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> })
    .find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'grafana-datasources');
  const provisioning = parse(config?.data?.['datasources.yaml'] ?? '') as {
    datasources: Array<{ type: string; jsonData?: { derivedFields?: Array<{ datasourceUid: string; matcherRegex: string }> } }>;
  };
  const field = provisioning.datasources.find((d) => d.type === 'loki')?.jsonData?.derivedFields?.find((f) => f.datasourceUid === 'jaeger');
  if (!field) throw new Error('deploy/observability/logs.yaml: the Loki data source has no derived field to Jaeger');
  return new RegExp(field.matcherRegex);
}

/**
 * Logs beside traces, the services' side (deploy/README.md walks the cluster's side): a
 * failed order's log line, as the consumer writes it, carries the trace id that the Grafana
 * derived field of deploy/observability/logs.yaml finds, and that trace is the order's
 * (the order service's span and the consumer's, at an OTLP collector). Order and consumer run
 * as processes on a real nats-server; no Loki, Grafana or collector runs here.
 */
describe('logs beside traces: from a failed order’s log line to its trace', () => {
  it('the derived field finds, in the consumer’s “handler failed” line, the trace id of the order’s request', async () => {
    const matcher = traceIdMatcher();
    const nats = await NatsServer.start();
    const capture = await OtlpCapture.start();
    const otlp = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: capture.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const apps: AppProcess[] = [];
    try {
      const order = await AppProcess.start('order', { env: { NATS_URL: nats.url, ...otlp } });
      apps.push(order);
      // every fulfilment fails: the order's message is retried, each failure logged at warn
      const consumer = await AppProcess.start('consumer', { env: { NATS_URL: nats.url, FULFILMENT_FAIL_RATE: '1', ...otlp } });
      apps.push(consumer);
      const traceId = '5c0f2e6a9d4b4c1e8f7a3b2c1d0e9f8a';
      const created = await fetch(`${order.url}/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': 'logs-beside-traces-1',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: JSON.stringify({ sku: 'LOG-1', qty: 1 }),
      });
      expect(created.status).toBe(201);

      // The raw line, as the collector reads it from the container's output.
      const line = await waitFor(
        () =>
          consumer.process
            .output()
            .split('\n')
            .find((l) => l.includes('handler failed')),
        { description: 'the consumer logging the failed fulfilment' },
      );
      expect(matcher.exec(line)?.[1]).toBe(traceId);
      // …as JSON with a level name, the trace and the span: what the collector's json, trace and
      // severity parsers read (the collector itself does not run here).
      expect(JSON.parse(line)).toMatchObject({ level: 'warn', trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });

      // The trace it opens is the order's: the order service's server span and the consumer's span.
      await waitFor(
        () =>
          capture.spans.some((s) => s.traceId === traceId && s.resource['service.name'] === 'order' && s.kind === 2) &&
          capture.spans.some((s) => s.traceId === traceId && s.resource['service.name'] === 'consumer'),
        { description: 'the order and consumer spans of that trace at the collector' },
      );
      const spanOfLine = (JSON.parse(line) as { span_id: string }).span_id;
      expect(capture.spans.find((s) => s.spanId === spanOfLine)).toMatchObject({ traceId, resource: { 'service.name': 'consumer' } });
    } finally {
      for (const app of apps.reverse()) await app.stop('SIGTERM');
      await capture.stop();
      await nats.cleanup();
    }
  });
});
