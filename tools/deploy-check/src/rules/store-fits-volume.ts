import { Topology } from '@tandem/contracts';
import { asArray, getPath, isRecord, type KubeObject } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** The JetStream store may take at most this share of its volume: the filesystem's own overhead and the server's non-stream files need the rest. */
export const STORE_SHARE_OF_VOLUME = 0.85;

/**
 * The NATS store fits its disk, and the streams fit the store (issue 17 item 7): the
 * `max_file_store` of the NATS config stays below {@link STORE_SHARE_OF_VOLUME} of the volume
 * each NATS pod claims, and the byte limits of the streams the services declare
 * (libs/contracts `Topology`, every stream bounded) add up to no more than that store. A store
 * as large as its volume fills the disk before JetStream refuses a write; a stream without a
 * byte limit can take the whole store from the others.
 */
export const storeFitsVolume: Rule = {
  name: 'store-fits-volume',
  description: `NATS max_file_store ≤ ${STORE_SHARE_OF_VOLUME * 100} % of its volume; the declared streams' max_bytes add up to at most the store`,
  check(set) {
    const findings: RuleFinding[] = [];
    for (const statefulSet of set.ofKind('StatefulSet')) {
      const containers = asArray(getPath(statefulSet, ['spec', 'template', 'spec', 'containers']));
      if (!containers.some((c) => isRecord(c) && /(^|\/)nats(:|@|$)/.test(String(c['image'] ?? '')))) continue;
      const claimIndex = asArray(getPath(statefulSet, ['spec', 'volumeClaimTemplates'])).findIndex(
        (claim) => typeof getPath(claim, ['spec', 'resources', 'requests', 'storage']) === 'string',
      );
      const claimPath = ['spec', 'volumeClaimTemplates', claimIndex, 'spec', 'resources', 'requests', 'storage'];
      const volume = claimIndex < 0 ? undefined : kubernetesBytes(String(getPath(statefulSet, claimPath)));
      const config = natsConfigOf(set.ofKind('ConfigMap'));
      if (!config) continue;
      const match = /^\s*max_file_store:\s*(\S+)\s*$/m.exec(config.text);
      const store = match ? natsBytes(match[1] ?? '') : undefined;
      const where = { object: config.object, path: ['data', config.key] };
      if (store === undefined) {
        findings.push({
          ...where,
          message: 'the JetStream block sets no max_file_store (or one that cannot be read): the store may fill its disk',
        });
        continue;
      }
      if (volume !== undefined && store > volume * STORE_SHARE_OF_VOLUME) {
        findings.push({
          ...where,
          message: `max_file_store ${match?.[1]} (${mib(store)}) is more than ${STORE_SHARE_OF_VOLUME * 100} % of the ${mib(volume)} volume each NATS pod claims: the disk fills before JetStream refuses a write; at most ${mib(Math.floor(volume * STORE_SHARE_OF_VOLUME))}`,
        });
      }
      const streams = [Topology.ordersStream, Topology.deadLetterStream];
      const unbounded = streams.filter((s) => !('maxBytes' in s) || !(s.maxBytes > 0)).map((s) => s.name);
      if (unbounded.length > 0) {
        findings.push({
          ...where,
          message: `stream(s) ${unbounded.join(', ')} (libs/contracts Topology) have no max_bytes: each could take the whole store`,
        });
      }
      const declared = streams.reduce((sum, s) => sum + ('maxBytes' in s && s.maxBytes > 0 ? s.maxBytes : 0), 0);
      if (declared > store) {
        findings.push({
          ...where,
          message: `the streams the services declare may hold ${mib(declared)} (libs/contracts Topology), more than max_file_store ${match?.[1]} (${mib(store)})`,
        });
      }
    }
    return findings;
  },
};

function natsConfigOf(configMaps: readonly KubeObject[]): { object: KubeObject; key: string; text: string } | undefined {
  for (const object of configMaps) {
    const data = getPath(object, ['data']);
    if (!isRecord(data)) continue;
    for (const [key, text] of Object.entries(data)) {
      if (typeof text === 'string' && /^\s*jetstream\s*\{/m.test(text)) return { object, key, text };
    }
  }
  return undefined;
}

/** A nats-server size (`2GB` is 2 GiB, `2G` 2·10⁹: its config parser), in bytes. */
export function natsBytes(value: string): number | undefined {
  const match = /^(\d+)\s*([a-zA-Z]*)$/.exec(value.trim());
  if (!match) return undefined;
  const factor: Record<string, number> = {
    '': 1,
    k: 1e3,
    kb: 2 ** 10,
    ki: 2 ** 10,
    kib: 2 ** 10,
    m: 1e6,
    mb: 2 ** 20,
    mi: 2 ** 20,
    mib: 2 ** 20,
    g: 1e9,
    gb: 2 ** 30,
    gi: 2 ** 30,
    gib: 2 ** 30,
    t: 1e12,
    tb: 2 ** 40,
    ti: 2 ** 40,
    tib: 2 ** 40,
  };
  const f = factor[(match[2] ?? '').toLowerCase()];
  return f === undefined ? undefined : Number(match[1]) * f;
}

/** A Kubernetes quantity (`2Gi`, `500M`, `1e9`), in bytes. */
export function kubernetesBytes(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([KMGTPE]i?)?$/.exec(value.trim());
  if (!match) return undefined;
  const suffix = match[2] ?? '';
  const exponent = 'KMGTPE'.indexOf(suffix.charAt(0)) + 1;
  const factor = suffix === '' ? 1 : suffix.endsWith('i') ? 1024 ** exponent : 1000 ** exponent;
  return Number(match[1]) * factor;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;
}
