import { runDeployCheck } from '../src/deploy-check';
import type { Finding } from '../src/model';
import { RULES } from '../src/rules';
import { deployCopy, type Edit } from './deploy-fixture';

/**
 * One fixture per rule: the real deploy/ with one mistake written into it. Each must be
 * reported as exactly the expected finding — rule, file, object, field — at a line that
 * shows that field. Rendered with the built-in renderer (kubectl is not needed here; a
 * separate test holds the two renderers to the same output) and without schema
 * validation (the CEL evaluator is an ES module: the CLI test runs it).
 */
async function check(edits: readonly Edit[]): Promise<{ findings: Finding[]; read(file: string): string }> {
  const copy = deployCopy(edits);
  try {
    const result = await runDeployCheck({ root: copy.root, renderer: 'built-in', schemas: false });
    const texts = new Map<string, string>();
    for (const finding of result.findings) texts.set(finding.file, copy.read(finding.file));
    return { findings: result.findings, read: (file) => texts.get(file) ?? '' };
  } finally {
    copy.dispose();
  }
}

function lineText(text: string, line: number | undefined): string {
  return line === undefined ? '' : (text.split('\n')[line - 1] ?? '');
}

const KIND = 'deploy/k8s/overlays/kind';
const PRODUCTION = 'deploy/k8s/overlays/production';

interface Case {
  readonly rule: string;
  readonly edits: Edit[];
  readonly file: string;
  readonly object: string;
  readonly field: string;
  /** What the reported line must show (the field's key, or the object when the field was removed). */
  readonly lineShows: string;
  readonly message: RegExp;
  readonly renderedBy?: string[];
}

const cases: Case[] = [
  {
    rule: 'route-weights',
    edits: [
      { file: 'deploy/istio/order-virtualservice.yaml', from: 'weight: 10\n      timeout: 12s', to: 'weight: 20\n      timeout: 12s' },
    ],
    file: 'deploy/istio/order-virtualservice.yaml',
    object: 'VirtualService tandem/order',
    field: 'spec.http[3].route',
    lineShows: 'route:',
    message: /add up to 110, not 100 \(90 \+ 20\)/,
  },
  {
    rule: 'route-subsets',
    edits: [
      { file: 'deploy/istio/order-virtualservice.yaml', from: 'subset: v2\n      timeout: 12s', to: 'subset: v3\n      timeout: 12s' },
    ],
    file: 'deploy/istio/order-virtualservice.yaml',
    object: 'VirtualService tandem/order',
    field: 'spec.http[2].route[0].destination.subset',
    lineShows: 'subset: v3',
    message: /subset "v3" is not defined by DestinationRule tandem\/order \(it defines v1, v2\)/,
  },
  {
    rule: 'event-stream-routes',
    edits: [
      { file: 'deploy/istio/ingress.yaml', from: 'number: 3000\n      retries:', to: 'number: 3000\n      timeout: 15s\n      retries:' },
    ],
    file: 'deploy/istio/ingress.yaml',
    object: 'VirtualService tandem/gateway',
    field: 'spec.http[0].timeout',
    lineShows: 'timeout: 15s',
    message: /route "order-events" takes GET \/orders\/[0-9a-f-]+\/events \(an event stream, open for minutes\) but cuts it after 15s/,
  },
  {
    rule: 'event-stream-routes',
    edits: [
      {
        file: 'deploy/istio/order-virtualservice.yaml',
        from: 'subset: v2\n      retries:',
        to: 'subset: v2\n      timeout: 0s\n      retries:',
      },
    ],
    file: 'deploy/istio/order-virtualservice.yaml',
    object: 'VirtualService tandem/order',
    field: 'spec.http[0].timeout',
    lineShows: 'timeout: 0s',
    message: /route "events-canary-override" sets timeout 0s, which Istio refuses \(its durations must be at least 1ms\)/,
  },

  {
    rule: 'event-stream-routes',
    edits: [
      {
        file: 'deploy/istio/order-virtualservice.yaml',
        from: 'weight: 10\n      retries:',
        to: 'weight: 10\n      timeout: 30s\n      retries:',
      },
    ],
    file: 'deploy/istio/order-virtualservice.yaml',
    object: 'VirtualService tandem/order',
    field: 'spec.http[1].timeout',
    lineShows: 'timeout: 30s',
    message: /route "events" takes GET \/orders\/[0-9a-f-]+\/events .* but cuts it after 30s/,
  },
  {
    rule: 'jetstream-replicas',
    edits: [
      {
        file: 'deploy/k8s/base/topology.yaml',
        from: "JETSTREAM_REPLICAS\n              value: '3'",
        to: "JETSTREAM_REPLICAS\n              value: '1'",
      },
    ],
    file: 'deploy/k8s/base/topology.yaml',
    object: 'Job tandem/nats-topology',
    field: 'spec.template.spec.containers[0].env[4].value',
    lineShows: "value: '1'",
    message: /the topology is declared with JETSTREAM_REPLICAS="1": set "3"/,
  },
  {
    rule: 'jetstream-replicas',
    edits: [
      { file: 'deploy/k8s/base/nats.yaml', from: '  replicas: 3\n  podManagementPolicy', to: '  replicas: 1\n  podManagementPolicy' },
    ],
    file: 'deploy/k8s/base/nats.yaml',
    object: 'StatefulSet tandem/nats',
    field: 'spec.replicas',
    lineShows: 'replicas: 1',
    message: /NATS runs 1 server\(s\): a stream with 3 replicas needs at least 3/,
  },
  {
    rule: 'nats-least-privilege',
    edits: [
      {
        file: 'deploy/k8s/base/nats.yaml',
        from: '"$JS.API.STREAM.INFO.ORDERS"\n          # reads:',
        to: '"$JS.API.STREAM.INFO.ORDERS"\n          "$JS.API.STREAM.*.ORDERS"\n          # reads:',
      },
    ],
    file: 'deploy/k8s/base/nats.yaml',
    object: 'ConfigMap tandem/nats-config',
    field: 'data.permissions.conf',
    lineShows: 'permissions.conf: |',
    message:
      /NATS user order \(ORDER_PERMISSIONS\) may publish "\$JS\.API\.STREAM\.\*\.ORDERS": it could declare, change, delete or purge the topology/,
  },
  {
    rule: 'nats-least-privilege',
    edits: [
      {
        file: 'deploy/k8s/base/nats.yaml',
        from: '{ user: consumer, password: $NATS_CONSUMER_PASS, permissions: $CONSUMER_PERMISSIONS }',
        to: '{ user: consumer, password: $NATS_CONSUMER_PASS }',
      },
    ],
    file: 'deploy/k8s/base/nats.yaml',
    object: 'ConfigMap tandem/nats-config',
    field: 'data.nats.conf',
    lineShows: 'nats.conf: |',
    message: /NATS user consumer has no permissions block this check can read .*: without one it may do anything/,
  },
  {
    rule: 'nats-least-privilege',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v1\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v1',
        from: 'NATS_USER\n              value: consumer',
        to: 'NATS_USER\n              value: admin',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'spec.template.spec.containers[0].env[6].value',
    lineShows: 'value: admin',
    message: /consumer connects to NATS as admin, the administrative identity that declares the topology/,
  },
  {
    rule: 'store-fits-volume',
    edits: [{ file: 'deploy/k8s/base/nats.yaml', from: 'max_file_store: 1600MB', to: 'max_file_store: 2GB' }],
    file: 'deploy/k8s/base/nats.yaml',
    object: 'ConfigMap tandem/nats-config',
    field: 'data.nats.conf',
    lineShows: 'nats.conf: |',
    message: /max_file_store 2GB \(2,048 MiB\) is more than 85 % of the 2,048 MiB volume each NATS pod claims/,
  },
  {
    rule: 'store-fits-volume',
    edits: [{ file: 'deploy/k8s/base/nats.yaml', from: 'max_file_store: 1600MB', to: 'max_file_store: 256MB' }],
    file: 'deploy/k8s/base/nats.yaml',
    object: 'ConfigMap tandem/nats-config',
    field: 'data.nats.conf',
    lineShows: 'nats.conf: |',
    message:
      /the streams the topology declares may hold 384 MiB \(libs\/contracts TandemTopology\), more than max_file_store 256MB \(256 MiB\)/,
  },
  {
    rule: 'forwarded-headers',
    edits: [
      {
        file: 'deploy/istio/order-virtualservice.yaml',
        from: '- headers:\n            x-canary:\n              exact: always\n          uri:',
        to: '- headers:\n            x-version:\n              exact: always\n          uri:',
      },
    ],
    file: 'deploy/istio/order-virtualservice.yaml',
    object: 'VirtualService tandem/order',
    field: 'spec.http[0].match[0].headers.x-version',
    lineShows: 'x-version:',
    message:
      /matches request header x-version on the hop from gateway \(Deployment tandem\/gateway\), which does not forward it \(it forwards x-canary\)/,
  },
  {
    rule: 'telemetry-scope',
    edits: [
      {
        file: 'deploy/k8s/overlays/kind/tracing.yaml',
        from: '  selector:\n    matchLabels:\n      istio: ingressgateway\n',
        to: '',
      },
    ],
    file: 'deploy/k8s/overlays/kind/tracing.yaml',
    object: 'Telemetry istio-system/ingress-tracing',
    field: 'spec',
    lineShows: 'spec:',
    message: /applies to the whole mesh \(istio-system, no selector\)/,
    renderedBy: [KIND],
  },
  {
    rule: 'otlp-endpoint',
    edits: [
      { file: 'deploy/k8s/overlays/kind/telemetry-endpoint.yaml', from: 'jaeger-collector.observability', to: 'jaeger.observability' },
    ],
    file: 'deploy/k8s/overlays/kind/telemetry-endpoint.yaml',
    object: 'ConfigMap tandem/tandem-telemetry',
    field: 'data',
    lineShows: 'data:',
    message:
      /OTEL_EXPORTER_OTLP_ENDPOINT http:\/\/jaeger\.observability\.svc\.cluster\.local:4318 names Service observability\/jaeger, which this render does not have/,
    renderedBy: [KIND],
  },
  {
    rule: 'otlp-endpoint',
    edits: [
      { file: 'deploy/k8s/overlays/kind/kustomization.yaml', from: 'name: consumer-v2\n    patch', to: 'name: consumer-x\n    patch' },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v2',
    field: 'spec.template.metadata.annotations',
    lineShows: 'annotations:',
    message: /consumer exports spans to port 4318 of a collector outside the mesh through its sidecar/,
    renderedBy: [KIND],
  },
  {
    rule: 'otlp-endpoint',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v1\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v1',
        from: 'key: otlp-endpoint',
        to: 'key: otlp-url',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'spec.template.spec.containers[0].env[10]',
    lineShows: '- name: OTEL_EXPORTER_OTLP_ENDPOINT',
    message: /OTEL_EXPORTER_OTLP_ENDPOINT reads key otlp-url of ConfigMap tandem\/tandem-telemetry, which it does not have/,
  },
  {
    rule: 'nats-spread',
    edits: [
      { file: 'deploy/k8s/base/nats.yaml', from: 'topologyKey: kubernetes.io/hostname', to: 'topologyKey: topology.kubernetes.io/zone' },
    ],
    file: 'deploy/k8s/base/nats.yaml',
    object: 'StatefulSet tandem/nats',
    field: 'spec.template.spec.affinity',
    lineShows: 'affinity:',
    message: /3 NATS servers without a required anti-affinity \(or strict spread\) on kubernetes\.io\/hostname/,
  },
  {
    rule: 'subset-pods',
    edits: [{ file: 'deploy/istio/order-destinationrule.yaml', from: 'version: v2', to: 'version: v9' }],
    file: 'deploy/istio/order-destinationrule.yaml',
    object: 'DestinationRule tandem/order',
    field: 'spec.subsets[1].labels',
    lineShows: 'labels:',
    message: /subset "v2" selects no pods: no workload in tandem has labels app=order,version=v9/,
  },
  {
    rule: 'host-services',
    edits: [{ file: 'deploy/istio/destination-rules.yaml', from: 'host: consumer.tandem', to: 'host: consumr.tandem' }],
    file: 'deploy/istio/destination-rules.yaml',
    object: 'DestinationRule tandem/consumer',
    field: 'spec.host',
    lineShows: 'host: consumr.tandem.svc.cluster.local',
    message: /is not a Service/,
  },
  {
    rule: 'service-ports',
    edits: [{ file: 'deploy/k8s/base/consumer.yaml', from: 'name: http-metrics', to: 'name: metrics' }],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Service tandem/consumer',
    field: 'spec.ports[0].name',
    lineShows: 'name: metrics',
    message: /Istio picks the protocol from a name/,
  },
  {
    rule: 'service-ports',
    edits: [{ file: 'deploy/k8s/base/consumer.yaml', from: 'targetPort: http', to: 'targetPort: web' }],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Service tandem/consumer',
    field: 'spec.ports[0].targetPort',
    lineShows: 'targetPort: web',
    message: /targetPort "web" is not a container port of the selected pods/,
  },
  {
    rule: 'workload-probes',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v1\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v1',
        from: 'path: /readyz',
        to: 'path: /healthz',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'spec.template.spec.containers[0].readinessProbe.httpGet.path',
    lineShows: 'path: /healthz',
    message: /must use \/readyz/,
  },
  {
    rule: 'workload-probes',
    edits: [{ file: 'deploy/k8s/base/gateway.yaml', from: '          livenessProbe:\n', to: '          unusedProbe:\n' }],
    file: 'deploy/k8s/base/gateway.yaml',
    object: 'Deployment tandem/gateway',
    field: 'spec.template.spec.containers[0].livenessProbe',
    lineShows: '- name: gateway',
    message: /container "gateway" has no livenessProbe/,
  },
  {
    rule: 'workload-resources',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v1\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v1',
        from: '              memory: 256Mi\n',
        to: '',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'spec.template.spec.containers[0].resources.limits',
    lineShows: 'limits:',
    message: /sets no limits for memory/,
  },
  {
    rule: 'workload-security',
    edits: [{ file: 'deploy/k8s/base/gateway.yaml', from: 'readOnlyRootFilesystem: true', to: 'readOnlyRootFilesystem: false' }],
    file: 'deploy/k8s/base/gateway.yaml',
    object: 'Deployment tandem/gateway',
    field: 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
    lineShows: 'readOnlyRootFilesystem: false',
    message: /writable root filesystem/,
  },
  {
    rule: 'workload-security',
    edits: [{ file: 'deploy/k8s/base/gateway.yaml', from: '        runAsNonRoot: true\n', to: '' }],
    file: 'deploy/k8s/base/gateway.yaml',
    object: 'Deployment tandem/gateway',
    field: 'spec.template.spec.containers[0].securityContext.runAsNonRoot',
    lineShows: 'securityContext:',
    message: /may run as root/,
  },
  {
    rule: 'workload-labels',
    edits: [
      {
        file: 'deploy/k8s/base/gateway.yaml',
        from: '        app: gateway\n        version: v1\n      annotations:',
        to: '        app: gateway\n      annotations:',
      },
    ],
    file: 'deploy/k8s/base/gateway.yaml',
    object: 'Deployment tandem/gateway',
    field: 'spec.template.metadata.labels',
    lineShows: 'labels:',
    message: /no "version" label/,
  },
  {
    rule: 'mtls-strict',
    edits: [
      {
        file: 'deploy/istio/destination-rules.yaml',
        from: 'host: consumer.tandem.svc.cluster.local\n  trafficPolicy:\n    tls:\n      mode: ISTIO_MUTUAL',
        to: 'host: consumer.tandem.svc.cluster.local\n  trafficPolicy:\n    tls:\n      mode: DISABLE',
      },
    ],
    file: 'deploy/istio/destination-rules.yaml',
    object: 'DestinationRule tandem/consumer',
    field: 'spec.trafficPolicy.tls.mode',
    lineShows: 'mode: DISABLE',
    message: /tls.mode DISABLE replaces Istio mutual TLS/,
  },
  {
    rule: 'authz-principals',
    edits: [
      {
        file: 'deploy/istio/authorization-policies.yaml',
        from: 'cluster.local/ns/tandem/sa/gateway\n',
        to: 'cluster.local/ns/tandem/sa/gatewy\n',
      },
    ],
    file: 'deploy/istio/authorization-policies.yaml',
    object: 'AuthorizationPolicy tandem/order-from-gateway',
    field: 'spec.rules[0].from[0].source.principals[0]',
    lineShows: 'sa/gatewy',
    message: /ServiceAccount tandem\/gatewy, which does not exist/,
  },
  {
    rule: 'termination-grace',
    edits: [{ file: 'deploy/k8s/base/gateway.yaml', from: 'terminationGracePeriodSeconds: 30', to: 'terminationGracePeriodSeconds: 20' }],
    file: 'deploy/k8s/base/gateway.yaml',
    object: 'Deployment tandem/gateway',
    field: 'spec.template.spec.terminationGracePeriodSeconds',
    lineShows: 'terminationGracePeriodSeconds: 20',
    message: /20 s is not more than preStop 0 s \+ SHUTDOWN_TIMEOUT_MS 25 s/,
  },
  {
    rule: 'image-pinned',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v1\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v1',
        from: 'image: tandem/consumer:0.1.0',
        to: 'image: tandem/consumer:latest',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'spec.template.spec.containers[0].image',
    lineShows: 'image: tandem/consumer:latest',
    message: /not pinned/,
    // The production overlay pins the tag through `images:`; only the kind render shows it.
    renderedBy: [KIND],
  },
  {
    rule: 'image-pinned',
    edits: [
      {
        file: 'deploy/k8s/overlays/production/kustomization.yaml',
        from: '  - name: tandem/topology\n    newName: registry.example.com/tandem/topology\n    newTag: 0.1.0\n',
        to: '',
      },
    ],
    file: 'deploy/k8s/base/topology.yaml',
    object: 'Job tandem/nats-topology',
    field: 'spec.template.spec.containers[0].image',
    lineShows: 'image: tandem/topology:0.1.0',
    message: /image tandem\/topology:0\.1\.0 is not moved to the registry the other Tandem images come from/,
    renderedBy: [PRODUCTION],
  },
  {
    rule: 'sidecar-lifecycle',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v1\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v1',
        from: '          holdApplicationUntilProxyStarts: true\n',
        to: '',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'spec.template.metadata.annotations.proxy.istio.io/config',
    lineShows: 'proxy.istio.io/config',
    message: /holdApplicationUntilProxyStarts/,
  },
  {
    rule: 'fulfilment-versions',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        from: '- name: SERVICE_VERSION\n              value: v2',
        to: '- name: SERVICE_VERSION\n              value: v1',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v2',
    field: 'spec.template.spec.containers[0].env[1]',
    lineShows: '- name: SERVICE_VERSION',
    message:
      /SERVICE_VERSION is "v1" but the pods are labelled version "v2": this workload would pull v1's durable and v2's share of the orders would wait/,
  },
  {
    rule: 'fulfilment-versions',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        from: '  # replicas: its ScaledObject (below) wakes it on its backlog.\n',
        to: '  # replicas: its ScaledObject (below) wakes it on its backlog.\n  replicas: 0\n',
      },
      {
        file: 'deploy/k8s/base/consumer.yaml',
        from: 'scaleTargetRef:\n    name: consumer-v2',
        to: 'scaleTargetRef:\n    name: consumer-v9',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v2',
    field: 'spec.replicas',
    lineShows: 'replicas: 0',
    message: /fulfilment v2 is held at 0 replicas with no autoscaler to wake it/,
  },
  {
    rule: 'fulfilment-versions',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: '  name: consumer-v2\n  namespace: tandem\n  labels:\n    app: consumer\n    version: v2',
        from: 'image: tandem/consumer:0.1.0',
        to: 'image: example/other-worker:0.1.0',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'Deployment tandem/consumer-v1',
    field: 'metadata.name',
    lineShows: 'name: consumer-v1',
    message: /no fulfilment v2 runs \(a tandem\/consumer workload with version label and SERVICE_VERSION "v2"\)/,
  },
  {
    rule: 'log-pipeline',
    edits: [{ file: 'deploy/observability/logs.yaml', from: 'datasourceUid: jaeger', to: 'datasourceUid: jaegr' }],
    file: 'deploy/observability/logs.yaml',
    object: 'ConfigMap observability/grafana-datasources',
    field: 'data.datasources.yaml',
    lineShows: 'datasources.yaml: |',
    message:
      /data source Loki: derived field trace_id links to data source uid "jaegr", which this provisioning does not define \(loki, jaeger\)/,
    renderedBy: [KIND],
  },
  {
    rule: 'log-pipeline',
    edits: [
      {
        file: 'deploy/observability/logs.yaml',
        from: 'url: http://loki.observability.svc.cluster.local:3100',
        to: 'url: http://loki.observability.svc.cluster.local:3101',
      },
    ],
    file: 'deploy/observability/logs.yaml',
    object: 'ConfigMap observability/grafana-datasources',
    field: 'data.datasources.yaml',
    lineShows: 'datasources.yaml: |',
    message:
      /data source Loki: url http:\/\/loki\.observability\.svc\.cluster\.local:3101: .* names Service observability\/loki, which has no port 3101 \(it has 3100\)/,
    renderedBy: [KIND],
  },
  {
    rule: 'log-pipeline',
    edits: [{ file: 'deploy/observability/logs.yaml', from: `matcherRegex: '"trace_id":`, to: `matcherRegex: '"traceId":` }],
    file: 'deploy/observability/logs.yaml',
    object: 'ConfigMap observability/grafana-datasources',
    field: 'data.datasources.yaml',
    lineShows: 'datasources.yaml: |',
    message: /derived field trace_id \(matcherRegex .*\) finds no trace id in a Tandem log line/,
    renderedBy: [KIND],
  },
  {
    rule: 'log-pipeline',
    edits: [
      {
        file: 'deploy/observability/logs.yaml',
        from: 'endpoint: http://loki.observability',
        to: 'endpoint: http://loki-gateway.observability',
      },
    ],
    file: 'deploy/observability/logs.yaml',
    object: 'ConfigMap observability/otel-collector-config',
    field: 'data.config.yaml',
    lineShows: 'config.yaml: |',
    message:
      /exporter otlphttp\/loki sends to http:\/\/loki-gateway\.observability\.svc\.cluster\.local:3100\/otlp: .* names no Service of this render/,
    renderedBy: [KIND],
  },
  {
    rule: 'log-pipeline',
    edits: [{ file: 'deploy/observability/logs.yaml', from: '{gateway,order,consumer}', to: '{gateway,order}' }],
    file: 'deploy/observability/logs.yaml',
    object: 'ConfigMap observability/otel-collector-config',
    field: 'data.config.yaml',
    lineShows: 'config.yaml: |',
    message:
      /receiver filelog reads no log file of tandem container "consumer" \(consumer-v1, consumer-v2\): its log lines never reach the log store/,
    renderedBy: [KIND],
  },
  {
    rule: 'workload-security',
    edits: [
      {
        file: 'deploy/observability/logs.yaml',
        from: 'tandem.dev/runs-as-root: the kubelet writes /var/log/pods root-owned (0640); the collector only reads them (hostPath read-only, no capabilities)',
        to: "tandem.dev/runs-as-root: ''",
      },
    ],
    file: 'deploy/observability/logs.yaml',
    object: 'DaemonSet observability/otel-collector',
    field: 'spec.template.metadata.annotations.tandem.dev/runs-as-root',
    lineShows: "tandem.dev/runs-as-root: ''",
    message: /tandem\.dev\/runs-as-root is empty: say why this pod must run as root/,
    renderedBy: [KIND],
  },
  {
    rule: 'log-pipeline',
    edits: [{ file: 'deploy/observability/logs.yaml', from: 'include_file_path: true', to: 'include_file_path: false' }],
    file: 'deploy/observability/logs.yaml',
    object: 'ConfigMap observability/otel-collector-config',
    field: 'data.config.yaml',
    lineShows: 'config.yaml: |',
    message:
      /receiver filelog: its container operator reads namespace, pod and container from the file path, but include_file_path is not true/,
    renderedBy: [KIND],
  },
  {
    rule: 'keda-scalers',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        from: '---\napiVersion: policy/v1\nkind: PodDisruptionBudget',
        to: '---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: consumer-cpu\n  namespace: tandem\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: consumer-v1\n  minReplicas: 2\n  maxReplicas: 6\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v1',
    field: 'spec.scaleTargetRef',
    lineShows: 'scaleTargetRef:',
    message:
      /consumer-v1 is scaled by HorizontalPodAutoscaler consumer-cpu and ScaledObject consumer-v1: two autoscalers fight over its replicas/,
  },
  {
    rule: 'keda-scalers',
    edits: [{ file: 'deploy/k8s/base/consumer.yaml', from: 'consumer: fulfilment-v2', to: 'consumer: fulfilment' }],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v2',
    field: 'spec.triggers[0].metadata.consumer',
    lineShows: 'consumer: fulfilment',
    message:
      /consumer "fulfilment" on ORDERS is not a durable the fulfilment v2 this scales pulls \(ORDERS\/fulfilment-v2, ORDERS_MAX_DELIVERIES\/dead-letters\): it would wake on another's backlog/,
  },
  {
    rule: 'keda-scalers',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: 'name: consumer-v2\n  namespace: tandem\n  labels:\n    app: consumer\nspec:\n  scaleTargetRef:',
        from: 'stream: ORDERS',
        to: 'stream: ORDER',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v2',
    field: 'spec.triggers[0].metadata.stream',
    lineShows: 'stream: ORDER',
    message: /stream "ORDER" is not a stream of the topology \(ORDERS, ORDERS_DLQ, ORDERS_MAX_DELIVERIES\)/,
  },
  {
    rule: 'keda-scalers',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: 'name: consumer-v2\n  namespace: tandem\n  labels:\n    app: consumer\nspec:\n  scaleTargetRef:',
        from: 'account: TANDEM',
        to: 'account: $G',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v2',
    field: 'spec.triggers[0].metadata.account',
    lineShows: 'account: $G',
    message: /account "\$G" is not an account of the NATS config \(TANDEM\): the scaler finds no backlog/,
  },
  {
    rule: 'keda-scalers',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: 'name: consumer-v2\n  namespace: tandem\n  labels:\n    app: consumer\nspec:\n  scaleTargetRef:',
        from: 'nats-headless.tandem.svc.cluster.local:8222',
        to: 'nats-headless.tandem.svc.cluster.local:8223',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v2',
    field: 'spec.triggers[0].metadata.natsServerMonitoringEndpoint',
    lineShows: 'natsServerMonitoringEndpoint:',
    message:
      /monitoring endpoint nats-headless\.tandem\.svc\.cluster\.local:8223: .* names Service tandem\/nats-headless, which has no port 8223/,
  },
  {
    rule: 'keda-scalers',
    edits: [
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: 'name: consumer-v2\n  namespace: tandem\n  labels:\n    app: consumer\nspec:\n  scaleTargetRef:',
        from: 'nats-headless.tandem.svc.cluster.local:8222',
        to: 'nats-headless.tandem.svc.cluster.local:4222',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v2',
    field: 'spec.triggers[0].metadata.natsServerMonitoringEndpoint',
    lineShows: 'natsServerMonitoringEndpoint:',
    message:
      /monitoring endpoint nats-headless\.tandem\.svc\.cluster\.local:4222: port 4222 leads to container port 4222, not NATS's monitoring port \(8222\)/,
  },
  {
    rule: 'keda-scalers',
    edits: [
      {
        file: 'deploy/k8s/base/nats.yaml',
        from: '    - name: tcp-client\n      port: 4222\n      targetPort: client\n---',
        to: '    - name: tcp-client\n      port: 4222\n      targetPort: client\n    - name: http-monitor\n      port: 8222\n      targetPort: monitor\n---',
      },
      {
        file: 'deploy/k8s/base/consumer.yaml',
        after: 'name: consumer-v2\n  namespace: tandem\n  labels:\n    app: consumer\nspec:\n  scaleTargetRef:',
        from: 'nats-headless.tandem.svc.cluster.local:8222',
        to: 'nats.tandem.svc.cluster.local:8222',
      },
    ],
    file: 'deploy/k8s/base/consumer.yaml',
    object: 'ScaledObject tandem/consumer-v2',
    field: 'spec.triggers[0].metadata.natsServerMonitoringEndpoint',
    lineShows: 'natsServerMonitoringEndpoint:',
    message:
      /Service nats is not the NATS StatefulSet's headless Service: KEDA asks each server as <pod>\.nats\.tandem\.svc\.cluster\.local/,
  },
];

describe('deploy:check rules', () => {
  it('finds nothing in the real deploy/', async () => {
    const { findings } = await check([]);
    expect(findings).toEqual([]);
  });

  it('has a fixture for every rule', () => {
    expect(new Set(cases.map((c) => c.rule))).toEqual(new Set(RULES.map((rule) => rule.name)));
  });

  it.each(cases.map((c) => [`${c.rule}: ${c.message.source}`, c] as const))('%s', async (_name, c) => {
    const { findings, read } = await check(c.edits);
    expect(findings.map((f) => ({ rule: f.rule, file: f.file, object: f.object, field: f.field }))).toEqual([
      { rule: c.rule, file: c.file, object: c.object, field: c.field },
    ]);
    const [finding] = findings as [Finding];
    expect(finding.message).toMatch(c.message);
    expect(lineText(read(finding.file), finding.line)).toContain(c.lineShows);
    expect(finding.renderedBy).toEqual(c.renderedBy ?? [KIND, PRODUCTION]);
  });

  it('mtls-strict: a PERMISSIVE namespace policy is reported on the policy and on the namespace it leaves without STRICT', async () => {
    const { findings } = await check([{ file: 'deploy/istio/peer-authentication.yaml', from: 'mode: STRICT', to: 'mode: PERMISSIVE' }]);
    expect(findings.map((f) => [f.rule, f.file, f.object, f.field])).toEqual([
      ['mtls-strict', 'deploy/istio/peer-authentication.yaml', 'PeerAuthentication tandem/default', 'spec.mtls.mode'],
      ['mtls-strict', 'deploy/k8s/base/namespace.yaml', 'Namespace tandem', 'metadata.labels.istio-injection'],
    ]);
  });

  it('nats-spread reads a selector written with matchExpressions, as Kubernetes does', async () => {
    const selecting = (operator: string): Edit[] => [
      {
        file: 'deploy/k8s/base/nats.yaml',
        from: '                matchLabels:\n                  app: nats\n              topologyKey',
        to: `                matchExpressions:\n                  - { key: app, operator: ${operator}, values: [nats] }\n              topologyKey`,
      },
    ];
    expect((await check(selecting('In'))).findings.filter((f) => f.rule === 'nats-spread')).toEqual([]);
    expect((await check(selecting('NotIn'))).findings.filter((f) => f.rule === 'nats-spread')).toHaveLength(1);
  });

  it('reports invalid YAML with its file and line', async () => {
    const { findings } = await check([
      {
        file: 'deploy/k8s/overlays/kind/tracing.yaml',
        from: 'randomSamplingPercentage: 100\n---',
        to: 'randomSamplingPercentage: [100\n---',
      },
    ]);
    expect(findings.map((f) => [f.rule, f.file])).toContainEqual(['yaml-syntax', 'deploy/k8s/overlays/kind/tracing.yaml']);
  });

  it('reports a kustomization that cannot be rendered, naming it', async () => {
    const { findings } = await check([
      { file: 'deploy/k8s/overlays/kind/kustomization.yaml', from: '  - ../../base\n', to: '  - ../../base\n  - ../../missing\n' },
    ]);
    expect(findings).toEqual([
      expect.objectContaining({
        rule: 'render',
        file: `${KIND}/kustomization.yaml`,
        message: expect.stringContaining('resource "../../missing" does not exist'),
      }),
    ]);
  });
});
