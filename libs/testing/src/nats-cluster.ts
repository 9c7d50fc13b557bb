import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './child-process';
import { freePort } from './free-port';
import { natsServerBinary } from './nats-server';
import { waitFor } from './wait-for';

interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly configFile: string;
  process?: ManagedProcess;
}

/**
 * A real 3-node (by default) JetStream cluster on 127.0.0.1 with random client and route
 * ports and a temp store per node. Nodes can be stopped, killed and restarted one by one.
 */
export class NatsCluster {
  private constructor(
    private readonly dir: string,
    private readonly nodes: ClusterNode[],
  ) {}

  static async start(size = 3): Promise<NatsCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-nats-cluster-'));
    const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })));
    const routes = ports.map((p) => `nats-route://127.0.0.1:${p.route}`);
    const nodes: ClusterNode[] = [];
    for (const [i, p] of ports.entries()) {
      const name = `n${i + 1}`;
      const configFile = join(dir, `${name}.conf`);
      await writeFile(
        configFile,
        [
          `server_name: ${name}`,
          `listen: 127.0.0.1:${p.client}`,
          `jetstream { store_dir: ${JSON.stringify(join(dir, name))} }`,
          `cluster {`,
          `  name: tandem-test`,
          `  listen: 127.0.0.1:${p.route}`,
          `  routes: [${routes.filter((_, j) => j !== i).join(', ')}]`,
          `}`,
        ].join('\n'),
      );
      nodes.push({ name, port: p.client, configFile });
    }
    const cluster = new NatsCluster(dir, nodes);
    try {
      await cluster.waitUntilUp();
    } catch (error) {
      await cluster.cleanup(); // never leave nodes running behind a failed start
      throw error;
    }
    return cluster;
  }

  private async waitUntilUp(): Promise<void> {
    const nodes = this.nodes;
    await Promise.all(nodes.map((_, i) => this.startNode(i)));
    // Ready when the JetStream API answers through every node (a meta leader exists and
    // each node knows it); log lines about the election differ by role and timing.
    await waitFor(
      async () => {
        for (const node of nodes) {
          const nc = await connect({ servers: `nats://127.0.0.1:${node.port}`, timeout: 2_000 });
          try {
            await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
          } finally {
            await nc.close();
          }
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: 'the JetStream cluster to elect a metadata leader' },
    );
  }

  /** All client URLs, comma-separated (the `NATS_URL` form). */
  get url(): string {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  }

  get size(): number {
    return this.nodes.length;
  }

  nodeUrl(index: number): string {
    return `nats://127.0.0.1:${this.node(index).port}`;
  }

  async startNode(index: number): Promise<void> {
    const node = this.node(index);
    if (node.process?.running) throw new Error(`${node.name} is already running`);
    node.process = new ManagedProcess(`nats:${node.name}`, natsServerBinary(), ['-c', node.configFile]);
    await node.process.waitForLine(/Server is ready/, 20_000);
  }

  async stopNode(index: number): Promise<void> {
    await this.node(index).process?.stop('SIGTERM');
  }

  async killNode(index: number): Promise<void> {
    await this.node(index).process?.stop('SIGKILL');
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process?.stop('SIGTERM')));
    await rm(this.dir, { recursive: true, force: true });
  }

  output(index: number): string {
    return this.node(index).process?.output() ?? '';
  }

  private node(index: number): ClusterNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index} in a cluster of ${this.nodes.length}`);
    return node;
  }
}
