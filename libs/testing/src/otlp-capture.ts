import { createServer, type Server } from 'node:http';

/** One span as OTLP/JSON carries it (the fields tests look at). */
export interface CapturedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly resource: Readonly<Record<string, unknown>>;
  readonly attributes: Readonly<Record<string, unknown>>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map((a) => [
      a.key,
      a.value.stringValue ??
        (a.value.intValue === undefined ? undefined : Number(a.value.intValue)) ??
        a.value.boolValue ??
        a.value.doubleValue,
    ]),
  );
}

/**
 * A stand-in OTLP/HTTP collector on a random 127.0.0.1 port: accepts `POST /v1/traces`
 * in OTLP/JSON (`OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) and keeps the spans. Protobuf
 * requests are counted but not decoded.
 */
export class OtlpCapture {
  readonly spans: CapturedSpan[] = [];
  protobufRequests = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<OtlpCapture> {
    const ref: { capture?: OtlpCapture } = {};
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        if (request.url === '/v1/traces' && ref.capture) {
          if (String(request.headers['content-type']).includes('json')) ref.capture.ingest(JSON.parse(body.toString('utf8')));
          else ref.capture.protobufRequests += 1;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    ref.capture = new OtlpCapture(server, typeof address === 'object' && address ? address.port : 0);
    return ref.capture;
  }

  /** The value for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private ingest(payload: {
    resourceSpans?: Array<{
      resource?: { attributes?: OtlpAttribute[] };
      scopeSpans?: Array<{
        spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: OtlpAttribute[] }>;
      }>;
    }>;
  }): void {
    for (const rs of payload.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            name: span.name,
            kind: span.kind,
            resource,
            attributes: attributes(span.attributes),
          });
        }
      }
    }
  }
}
