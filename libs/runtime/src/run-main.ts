import type { Logger } from 'pino';
import { ConfigError } from './errors';
import type { Supervisor } from './supervisor';

/** What an app's composition root hands to {@link runMain}. */
export interface ServiceHandle {
  readonly name: string;
  readonly logger: Logger;
  /** Runs the components; holds the shutdown delay and deadline. */
  readonly supervisor: Supervisor;
}

export interface RunMainOptions<C> {
  /** Reads and validates configuration; a {@link ConfigError} exits with code 78. */
  readonly loadConfig: () => C;
  /** Builds the service's components from its configuration. */
  readonly build: (config: C) => ServiceHandle | Promise<ServiceHandle>;
  /** Label for messages written before a logger exists. */
  readonly name: string;
}

/** sysexits.h EX_CONFIG: a configuration error. */
export const EXIT_CONFIG = 78;

/**
 * The process edge: the only place that exits. Loads configuration (exit 78 on error),
 * builds the service, starts its supervisor, and turns the first SIGTERM/SIGINT, an
 * uncaught exception, an unhandled rejection or a fatal component failure into the
 * orderly shutdown of SPEC §5. Exit 0 when everything stopped in time; 1 on a second
 * signal, past the supervisor's shutdown deadline, or after a fatal error.
 */
export function runMain<C>(options: RunMainOptions<C>): void {
  void runMainAsync(options);
}

async function runMainAsync<C>(options: RunMainOptions<C>): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }

  let service: ServiceHandle;
  try {
    service = await options.build(config);
  } catch (error) {
    process.stderr.write(`${options.name}: could not build the service: ${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  }
  const { logger, supervisor } = service;
  let exitCode = 0;
  let signals = 0;

  const exit = (code: number): never => {
    logger.flush?.();
    process.exit(code);
  };

  const shutdown = (reason: string, code: number): void => {
    exitCode = Math.max(exitCode, code);
    if (supervisor.shuttingDown) return;
    // Safety net: whatever hangs, the process is gone shortly after the hard deadline.
    setTimeout(() => {
      logger.error({ unfinished: supervisor.unfinished() }, 'shutdown: hard deadline passed, exiting');
      exit(1);
    }, supervisor.shutdownTimeoutMs + 1_000).unref();
    void supervisor.shutdown(reason).then((result) => {
      exit(result.ok ? exitCode : 1);
    });
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      logger.info({ signal }, `received ${signal}, shutting down gracefully`);
      shutdown(signal, 0);
      return;
    }
    logger.error({ signal, unfinished: supervisor.unfinished() }, `received ${signal} again, exiting now`);
    exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', (error, origin) => {
    logger.fatal({ err: error, origin }, 'uncaught exception; shutting down');
    shutdown('uncaughtException', 1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; shutting down');
    shutdown('unhandledRejection', 1);
  });
  supervisor.setFatalHandler((error) => {
    logger.fatal({ err: error }, 'fatal component failed; shutting down');
    shutdown('fatal component failure', 1);
  });

  logger.info({ node: process.version }, `${service.name} starting`);
  await supervisor.start();
  if (!supervisor.shuttingDown) logger.info({ order: supervisor.startOrder }, `${service.name} started`);
}
