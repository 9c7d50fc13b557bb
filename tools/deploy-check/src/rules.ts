import type { Rule } from './rule';
import { authzPrincipals } from './rules/authz-principals';
import { eventStreamRoutes } from './rules/event-stream-routes';
import { forwardedHeaders } from './rules/forwarded-headers';
import { fulfilmentVersions } from './rules/fulfilment-versions';
import { hostServices } from './rules/host-services';
import { imagePinned } from './rules/image-pinned';
import { jetstreamReplicas } from './rules/jetstream-replicas';
import { kedaScalers } from './rules/keda-scalers';
import { logPipeline } from './rules/log-pipeline';
import { mtlsStrict } from './rules/mtls-strict';
import { otlpEndpoint } from './rules/otlp-endpoint';
import { natsLeastPrivilege } from './rules/nats-least-privilege';
import { natsSpread } from './rules/nats-spread';
import { routeSubsets } from './rules/route-subsets';
import { routeWeights } from './rules/route-weights';
import { servicePorts } from './rules/service-ports';
import { sidecarLifecycle } from './rules/sidecar-lifecycle';
import { storeFitsVolume } from './rules/store-fits-volume';
import { subsetPods } from './rules/subset-pods';
import { telemetryScope } from './rules/telemetry-scope';
import { terminationGrace } from './rules/termination-grace';
import { workloadLabels } from './rules/workload-labels';
import { workloadProbes } from './rules/workload-probes';
import { workloadResources } from './rules/workload-resources';
import { workloadSecurity } from './rules/workload-security';

/** Every cross-check deploy:check runs on each rendered kustomization, in report order. */
export const RULES: readonly Rule[] = [
  routeWeights,
  routeSubsets,
  eventStreamRoutes,
  forwardedHeaders,
  subsetPods,
  hostServices,
  servicePorts,
  workloadProbes,
  workloadResources,
  workloadSecurity,
  workloadLabels,
  mtlsStrict,
  authzPrincipals,
  terminationGrace,
  imagePinned,
  jetstreamReplicas,
  natsLeastPrivilege,
  natsSpread,
  storeFitsVolume,
  sidecarLifecycle,
  telemetryScope,
  otlpEndpoint,
  fulfilmentVersions,
  logPipeline,
  kedaScalers,
];
