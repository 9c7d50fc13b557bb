import { asArray, getPath, isRecord } from '../model';
import { tandemApp, type Rule, type RuleFinding } from '../rule';

/** Replicas of every JetStream stream and consumer Tandem declares in a cluster (docs/operations.md, "What a 201 guarantees"). */
export const REQUIRED_REPLICAS = 3;

/**
 * Acknowledged orders survive the loss of a node: the NATS StatefulSet runs at least three
 * servers, and order and consumer declare their streams and consumers with
 * `JETSTREAM_REPLICAS=3` (a PubAck then means a majority holds the message). With one replica a
 * 201 is one disk's page cache until the next sync.
 */
export const jetstreamReplicas: Rule = {
  name: 'jetstream-replicas',
  description: `NATS runs ${REQUIRED_REPLICAS}+ servers and order and consumer declare JETSTREAM_REPLICAS=${REQUIRED_REPLICAS}`,
  check(set) {
    const findings: RuleFinding[] = [];
    for (const workload of set.workloads()) {
      const runsNats = workload.containers.some(({ container }) => /(^|\/)nats(:|@|$)/.test(String(container['image'] ?? '')));
      if (runsNats) {
        const replicas = getPath(workload.object, ['spec', 'replicas']);
        if (typeof replicas !== 'number' || replicas < REQUIRED_REPLICAS) {
          findings.push({
            object: workload.object,
            path: ['spec', 'replicas'],
            message: `NATS runs ${String(replicas ?? 1)} server(s): a stream with ${REQUIRED_REPLICAS} replicas needs at least ${REQUIRED_REPLICAS}, or a lost node loses acknowledged orders`,
          });
        }
      }
      for (const { container, path } of workload.containers) {
        const app = tandemApp(container['image']);
        if (app !== 'order' && app !== 'consumer') continue;
        const env = asArray(container['env']);
        const index = env.findIndex((entry) => isRecord(entry) && entry['name'] === 'JETSTREAM_REPLICAS');
        const entry = env[index];
        const value = isRecord(entry) ? entry['value'] : undefined;
        if (value !== String(REQUIRED_REPLICAS)) {
          findings.push({
            object: workload.object,
            path: index < 0 ? [...path, 'env'] : [...path, 'env', index, 'value'],
            message: `${app} declares its streams and consumers with ${index < 0 ? 'JETSTREAM_REPLICAS unset (1 replica)' : `JETSTREAM_REPLICAS=${JSON.stringify(value)}`}: set "${REQUIRED_REPLICAS}", so that a PubAck means a majority of ${REQUIRED_REPLICAS} servers holds the order`,
          });
        }
      }
    }
    return findings;
  },
};
