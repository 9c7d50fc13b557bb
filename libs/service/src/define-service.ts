// Types only: a service that uses no NATS (the gateway) must not bundle the NATS client.
import type { NatsConnectionComponent, NatsConnectionOptions, NatsSettings } from '@tandem/messaging';
import {
  ConfigError,
  runMain,
  Supervisor,
  type Component,
  type HealthSource,
  type ServiceConfig,
  type ServiceHandle,
} from '@tandem/runtime';
import { createLogger, TelemetryComponent, type Telemetry } from '@tandem/telemetry';
import type { Logger } from 'pino';

/** What a process's settings must hold, whatever services it runs. */
export type ProcessConfig = Pick<ServiceConfig, 'version' | 'logLevel' | 'logFormat' | 'shutdownDelayMs' | 'shutdownTimeoutMs'>;

type Environment = Readonly<Record<string, string | undefined>>;

/** What a service's components share with the process they run in. */
export interface ServiceParts {
  /** The service's logger (its `service` field names it). */
  readonly logger: Logger;
  /** The process's readiness, for `/readyz`. */
  readonly health: HealthSource;
  /**
   * The process's one NATS connection: made on first use, started before and drained after
   * every component that uses it. Services sharing a process share it.
   */
  readonly nats: (settings: NatsSettings) => NatsConnectionComponent;
  /** Prefix of component names, when several services share a process (`order.`). */
  readonly namePrefix: string;
}

export interface ServiceDefinition<C extends ProcessConfig> {
  /** The service's name: its logs' `service`, its NATS client name's prefix. */
  readonly name: string;
  /** Reads and checks the service's variables once (a ConfigError names each bad one). */
  readonly config: (env: Environment) => C;
  /** The service's components, given its configuration and what the process shares. */
  readonly components: (config: C, parts: ServiceParts) => Component[];
  /**
   * How the process connects to NATS, for a service that uses it: messaging's
   * `(options) => new NatsConnectionComponent(options)`. Passed in, so that a service without
   * NATS does not carry the client.
   */
  readonly connectNats?: (options: NatsConnectionOptions) => NatsConnectionComponent;
}

/** A service: its definition, and how to run it as a process of its own. */
export interface Service<C extends ProcessConfig> extends ServiceDefinition<C> {
  /** The service under its own supervisor: what {@link Service.main} runs. */
  build(config: C, telemetry?: Telemetry): ServiceHandle;
  /** The process edge: configuration from `env` (exit 78 on error), then run until a signal. */
  main(env: Environment, telemetry: Telemetry): void;
}

/**
 * The one way a Tandem service is defined. The definition says what is the service's own
 * (its variables, its components); this adds what every process has: one logger, one
 * supervisor holding the shutdown delay and deadline, telemetry, one NATS connection.
 */
export function defineService<C extends ProcessConfig>(definition: ServiceDefinition<C>): Service<C> {
  const build = (config: C, telemetry?: Telemetry): ServiceHandle => {
    const logger = createLogger({ service: definition.name, version: config.version, level: config.logLevel, format: config.logFormat });
    const supervisor = new Supervisor({ logger, shutdownDelayMs: config.shutdownDelayMs, shutdownTimeoutMs: config.shutdownTimeoutMs });
    if (telemetry) {
      telemetry.attachLogger(logger);
      supervisor.add(new TelemetryComponent(telemetry));
    }
    let nats: { component: NatsConnectionComponent; settings: string } | undefined;
    const parts: ServiceParts = {
      logger,
      health: supervisor,
      namePrefix: '',
      nats: (settings) => {
        if (!definition.connectNats) throw new Error(`service ${definition.name} uses NATS but its definition has no connectNats`);
        if (!nats) {
          nats = {
            component: definition.connectNats({ ...settings, clientName: `${definition.name}-${config.version}` }),
            settings: JSON.stringify(settings),
          };
          supervisor.add(nats.component);
        } else if (JSON.stringify(settings) !== nats.settings) {
          // One connection serves the process: a second service asking for another server or user would silently get the first.
          throw new Error(`service ${definition.name}: services sharing this process ask for different NATS settings`);
        }
        return nats.component;
      },
    };
    for (const component of definition.components(config, parts)) supervisor.add(component);
    return { name: definition.name, logger, supervisor };
  };
  return {
    ...definition,
    build,
    main: (env, telemetry) =>
      runMain({
        name: definition.name,
        loadConfig: () => {
          if (telemetry.problems.length > 0) throw new ConfigError(telemetry.problems);
          return definition.config(env);
        },
        build: (config) => build(config, telemetry),
      }),
  };
}
