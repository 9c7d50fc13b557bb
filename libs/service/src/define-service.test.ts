import type { Component } from '@tandem/runtime';
import { NatsConnectionComponent } from '@tandem/messaging';
import { NatsServer, waitFor } from '@tandem/testing';
import { defineService, type ProcessConfig, type ServiceParts } from './define-service';

interface ProbeConfig extends ProcessConfig {
  readonly servers: readonly string[];
}

/** A component that is ready once the process's NATS connection is. */
function probe(parts: ServiceParts, config: ProbeConfig): Component {
  const first = parts.nats({ servers: config.servers, inboxPrefix: '_INBOX', replicas: 1 });
  const again = parts.nats({ servers: config.servers, inboxPrefix: '_INBOX', replicas: 1 });
  if (first !== again) throw new Error('a second call made a second connection');
  return {
    name: `${parts.namePrefix}probe`,
    dependsOn: [first.name],
    start: async () => undefined,
    stop: async () => undefined,
    health: () => first.health(),
  };
}

describe('defineService', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('builds the process around the definition: one NATS connection, started first; the deadline held by the supervisor', async () => {
    const service = defineService<ProbeConfig>({
      name: 'probe-service',
      config: () => {
        throw new Error('not read by build()');
      },
      components: (config, parts) => [probe(parts, config)],
      connectNats: (options) => new NatsConnectionComponent(options),
    });
    const config: ProbeConfig = {
      version: 'v9',
      logLevel: 'silent',
      shutdownDelayMs: 0,
      shutdownTimeoutMs: 4_321,
      servers: [nats.url],
    };
    const { name, supervisor } = service.build(config);
    expect(name).toBe('probe-service');
    expect(supervisor.shutdownTimeoutMs).toBe(4_321);
    expect(supervisor.startOrder).toEqual(['nats', 'probe']);
    await supervisor.start();
    try {
      await waitFor(() => supervisor.health().ready, { timeoutMs: 10_000, description: 'the probe service ready' });
      expect(supervisor.health().components.map((c) => c.name)).toEqual(['nats', 'probe']);
    } finally {
      expect((await supervisor.shutdown('test')).ok).toBe(true);
    }
  });

  it('refuses a second NATS connection with other settings (one connection serves the process)', () => {
    const service = defineService<ProbeConfig>({
      name: 'two-minds',
      config: () => {
        throw new Error('not read by build()');
      },
      components: (config, parts) => {
        parts.nats({ servers: config.servers, inboxPrefix: '_INBOX', replicas: 1 });
        parts.nats({ servers: ['nats://127.0.0.1:1'], inboxPrefix: '_INBOX', replicas: 1 });
        return [];
      },
      connectNats: (options) => new NatsConnectionComponent(options),
    });
    expect(() =>
      service.build({ version: 'v1', logLevel: 'silent', shutdownDelayMs: 0, shutdownTimeoutMs: 1_000, servers: [nats.url] }),
    ).toThrow('services sharing this process ask for different NATS settings');
  });

  it('makes no NATS connection for a service that asks for none', () => {
    const service = defineService<ProcessConfig>({
      name: 'http-only',
      config: () => ({ version: 'v1', logLevel: 'silent', shutdownDelayMs: 0, shutdownTimeoutMs: 1_000 }),
      components: () => [],
    });
    expect(service.build(service.config({})).supervisor.startOrder).toEqual([]);
  });
});
