import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsCluster } from '../src/nats-cluster';
import { NatsServer, waitForPortClosed } from '../src/nats-server';
import { waitFor } from '../src/wait-for';

describe('NatsServer (a real nats-server for tests)', () => {
  it('runs JetStream on a random loopback port and keeps its store across SIGKILL and restart', async () => {
    const server = await NatsServer.start();
    try {
      expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      let nc = await connect({ servers: server.url });
      let jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'] });
      await (await import('@nats-io/jetstream')).jetstream(nc).publish('keep.one', 'x');
      await nc.close();

      const pid = server.pid;
      await server.kill();
      expect(server.running).toBe(false);
      await waitForPortClosed(server.port);
      await server.restart();
      expect(server.pid).not.toBe(pid);

      nc = await connect({ servers: server.url });
      jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info('KEEP');
      expect(info.state.messages).toBe(1);
      await nc.close();
    } finally {
      await server.cleanup();
    }
  });
});

describe('NatsCluster (3 real JetStream nodes)', () => {
  it('elects a leader, accepts a stream with 3 replicas and keeps serving with one node down', async () => {
    const cluster = await NatsCluster.start(3);
    try {
      expect(cluster.url.split(',')).toHaveLength(3);
      const nc = await connect({ servers: cluster.url.split(',') });
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas).toHaveLength(2);
      await cluster.stopNode(2);
      const { jetstream } = await import('@nats-io/jetstream');
      // the stream may have to elect a new leader first: retry until it acknowledges
      const ack = await waitFor(() => jetstream(nc).publish('r3.x', 'y', { timeout: 2_000 }), {
        description: 'a publish acknowledged by the 2 remaining replicas',
        timeoutMs: 30_000,
        intervalMs: 250,
      });
      expect(ack.stream).toBe('R3');
      await nc.close();
    } finally {
      await cluster.cleanup();
    }
  });
});
