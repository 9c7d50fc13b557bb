import protobuf from 'protobufjs';

/**
 * The part of OTLP's trace protocol a test reads, in proto3 (field names and numbers from
 * open-telemetry/opentelemetry-proto v1: collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto; Apache-2.0).
 * Fields left out are skipped by the decoder.
 */
const OTLP_TRACE_PROTO = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  repeated KeyValue attributes = 9;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
  }
}
`;

const request = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: false }).root.lookupType('otlp.ExportTraceServiceRequest');

interface DecodedSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  [field: string]: unknown;
}
interface DecodedRequest {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: DecodedSpan[] }> }>;
}

const hex = (base64: string | undefined): string | undefined =>
  base64 === undefined ? undefined : Buffer.from(base64, 'base64').toString('hex');

/** An OTLP/protobuf `ExportTraceServiceRequest` as OTLP/JSON spells it (ids in hex, 64-bit ints as strings). */
export function decodeTraceRequest(body: Uint8Array): DecodedRequest {
  const decoded = request.toObject(request.decode(body), { longs: String, bytes: String, arrays: true }) as DecodedRequest;
  for (const rs of decoded.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        span.traceId = hex(span.traceId);
        span.spanId = hex(span.spanId);
        span.parentSpanId = hex(span.parentSpanId);
      }
    }
  }
  return decoded;
}
