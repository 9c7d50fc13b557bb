export { AccessLogController } from './access-log';
export type { Component, ComponentHealth, Deadline, StartContext } from './component';
export { backoffBase, backoffDelay, DEFAULT_BACKOFF } from './backoff';
export type { BackoffPolicy } from './backoff';
export { deadlineIn, delay, whenAborted } from './deadline';
export { ComponentFailedError, ComponentGraphError, ConfigError, RuntimeError } from './errors';
export type { ConfigIssue } from './errors';
export { Env, parseEnv } from './env-config';
export type { EnvFieldOptions } from './env-config';
export { EventStream, EventStreamHub, formatServerSentEvent, STREAM_LIMIT_REACHED, STREAMS_CLOSED } from './event-streams';
export type { EventStreamHubOptions, ServerSentEvent, StreamAdmission } from './event-streams';
export { healthPlugin } from './health.plugin';
export type { HealthPluginOptions } from './health.plugin';
export { HttpServerComponent } from './http-server.component';
export { httpServerTimeouts, MAX_HEADER_BYTES } from './http-timeouts';
export type { HttpServerOptions } from './http-server.component';
export { NODE_FLAGS } from './node-flags';
export { EXIT_CONFIG, runMain } from './run-main';
export type { RunMainOptions, ServiceHandle } from './run-main';
export { Supervisor } from './supervisor';
export type {
  ComponentReport,
  ComponentState,
  HealthReport,
  HealthSource,
  ShutdownResult,
  SupervisorOptions,
  UnfinishedComponent,
} from './supervisor';
export { topologicalOrder } from './topological-order';
export { ProcessSupervisor } from './process-supervisor';
export type { ChildReport, ChildSpec, ChildState, ProcessSupervisorOptions } from './process-supervisor';
export { serviceEnvProperties, toServiceConfig } from './service-config';
export type { ServiceConfig } from './service-config';
export { problemFrameworkErrors, problemPlugin } from './problem.plugin';
export type { ProblemMapping, ProblemPluginOptions } from './problem.plugin';
export { requestIdPlugin } from './request-id.plugin';
export type { RequestIdPluginOptions } from './request-id.plugin';
