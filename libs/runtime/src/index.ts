export type { Component, ComponentHealth, Deadline, StartContext } from './component';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff';
export type { BackoffPolicy } from './backoff';
export { deadlineIn, delay, whenAborted } from './deadline';
export { ComponentFailedError, ComponentGraphError, ConfigError, RuntimeError } from './errors';
export type { ConfigIssue } from './errors';
export { Env, parseEnv } from './env-config';
export type { EnvFieldOptions } from './env-config';
export { runMain } from './run-main';
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
export { serviceEnvProperties, toServiceConfig } from './service-config';
export type { ServiceConfig } from './service-config';
