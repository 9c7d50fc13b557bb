import { asArray, getPath, isRecord } from '../model';
import { tandemApp, type Rule, type RuleFinding, type Workload } from '../rule';

/** Replicas of every JetStream stream and consumer Tandem declares in a cluster (docs/operations.md, "What a 201 guarantees"). */
export const REQUIRED_REPLICAS = 3;

const runsNats = (workload: Workload) =>
  workload.containers.some(({ container }) => /(^|\/)nats(:|@|$)/.test(String(container['image'] ?? '')));

/**
 * Acknowledged orders survive the loss of a node: the NATS StatefulSet runs at least three
 * servers, and the topology Job (the administrative identity: the services may not declare
 * anything) declares the streams and consumers with `JETSTREAM_REPLICAS=3` (a PubAck then
 * means a majority holds the message). With one replica a 201 is one disk's page cache until
 * the next sync. Where NATS runs, something must declare the topology at all.
 */
export const jetstreamReplicas: Rule = {
  name: 'jetstream-replicas',
  description: `NATS runs ${REQUIRED_REPLICAS}+ servers and a topology Job declares the streams with JETSTREAM_REPLICAS=${REQUIRED_REPLICAS}`,
  check(set) {
    const findings: RuleFinding[] = [];
    const servers = set.workloads().filter(runsNats);
    for (const workload of servers) {
      const replicas = getPath(workload.object, ['spec', 'replicas']);
      if (typeof replicas !== 'number' || replicas < REQUIRED_REPLICAS) {
        findings.push({
          object: workload.object,
          path: ['spec', 'replicas'],
          message: `NATS runs ${String(replicas ?? 1)} server(s): a stream with ${REQUIRED_REPLICAS} replicas needs at least ${REQUIRED_REPLICAS}, or a lost node loses acknowledged orders`,
        });
      }
    }
    const declarations = set
      .jobs()
      .flatMap((job) => job.containers.filter(({ container }) => tandemApp(container['image']) === 'topology').map((c) => ({ job, ...c })));
    const first = servers[0];
    if (first && declarations.length === 0) {
      findings.push({
        object: first.object,
        path: ['spec'],
        message: 'no Job runs tandem/topology: nothing declares the streams and consumers, and the services (which may not) stay unready',
      });
    }
    for (const { job, container, path } of declarations) {
      const env = asArray(container['env']);
      const index = env.findIndex((entry) => isRecord(entry) && entry['name'] === 'JETSTREAM_REPLICAS');
      const entry = env[index];
      const value = isRecord(entry) ? entry['value'] : undefined;
      if (value !== String(REQUIRED_REPLICAS)) {
        findings.push({
          object: job.object,
          path: index < 0 ? [...path, 'env'] : [...path, 'env', index, 'value'],
          message: `the topology is declared with ${index < 0 ? 'JETSTREAM_REPLICAS unset (1 replica)' : `JETSTREAM_REPLICAS=${JSON.stringify(value)}`}: set "${REQUIRED_REPLICAS}", so that a PubAck means a majority of ${REQUIRED_REPLICAS} servers holds the order`,
        });
      }
    }
    return findings;
  },
};
