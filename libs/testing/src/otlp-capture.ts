import { createServer, type Server } from 'node:http';
import { Server as GrpcServer, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { decodeTraceRequest } from './otlp-protobuf';

/** How a batch of spans arrived. */
export type OtlpTransport = 'http/json' | 'http/protobuf' | 'grpc';

/** One span as OTLP/JSON carries it (the fields tests look at). */
export interface CapturedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  /** How the batch carrying this span arrived. */
  readonly transport: OtlpTransport;
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

/** The OTLP trace service over gRPC: requests and responses are kept as bytes (decoded by hand). */
const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    // An empty ExportTraceServiceResponse (full success) encodes to no bytes.
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: () => ({}),
  },
};

/**
 * A stand-in OTLP collector on random 127.0.0.1 ports, as Jaeger and the OpenTelemetry
 * Collector listen: OTLP/HTTP (`POST /v1/traces`, JSON or protobuf; {@link endpoint}, like
 * port 4318) and OTLP/gRPC (the trace service; {@link grpcEndpoint}, like port 4317). Every
 * span received is decoded and kept, with the transport it came over.
 */
export class OtlpCapture {
  readonly spans: CapturedSpan[] = [];

  private constructor(
    private readonly server: Server,
    private readonly grpc: GrpcServer,
    readonly port: number,
    readonly grpcPort: number,
  ) {}

  static async start(): Promise<OtlpCapture> {
    const ref: { capture?: OtlpCapture } = {};
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        if (request.url === '/v1/traces' && ref.capture) {
          if (String(request.headers['content-type']).includes('json')) ref.capture.ingest(JSON.parse(body.toString('utf8')), 'http/json');
          else ref.capture.ingest(decodeTraceRequest(body), 'http/protobuf');
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const grpc = new GrpcServer();
    grpc.addService(TRACE_SERVICE, {
      Export: (call: { request: Buffer }, callback: (error: null, response: object) => void) => {
        ref.capture?.ingest(decodeTraceRequest(call.request), 'grpc');
        callback(null, {});
      },
    });
    const grpcPort = await new Promise<number>((resolve, reject) =>
      grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    ref.capture = new OtlpCapture(server, grpc, typeof address === 'object' && address ? address.port : 0, grpcPort);
    return ref.capture;
  }

  /** The value for `OTEL_EXPORTER_OTLP_ENDPOINT` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`. */
  get grpcEndpoint(): string {
    return `http://127.0.0.1:${this.grpcPort}`;
  }

  /** The value for `OTEL_EXPORTER_OTLP_ENDPOINT` over HTTP (`http/protobuf`, `http/json`). */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.grpc.forceShutdown();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private ingest(
    payload: {
      resourceSpans?: Array<{
        resource?: { attributes?: OtlpAttribute[] };
        scopeSpans?: Array<{
          spans?: Array<{
            traceId?: string;
            spanId?: string;
            parentSpanId?: string;
            name?: string;
            kind?: number;
            attributes?: OtlpAttribute[];
          }>;
        }>;
      }>;
    },
    transport: OtlpTransport,
  ): void {
    for (const rs of payload.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            traceId: span.traceId ?? '',
            spanId: span.spanId ?? '',
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            name: span.name ?? '',
            kind: span.kind ?? 0,
            transport,
            resource,
            attributes: attributes(span.attributes),
          });
        }
      }
    }
  }
}
