import { TandemTopology } from '@tandem/contracts';
import { asArray, getPath, isRecord, type KubeObject } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** The JetStream store may take at most this share of its volume: the filesystem's own overhead and the server's non-stream files need the rest. */
export const STORE_SHARE_OF_VOLUME = 0.85;

/**
 * The NATS store fits its disk, and the streams fit the store: the
 * `max_file_store` of the NATS config stays below {@link STORE_SHARE_OF_VOLUME} of the volume
 * each NATS pod claims, and the byte limits of the streams the services declare
 * (libs/contracts `TandemTopology`, every stream bounded) add up to no more than that store. A store
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
      const config = natsConfigOf(statefulSet, set.ofKind('ConfigMap'));
      if (!config) continue;
      const where = { object: config.object, path: ['data', config.key] };
      const match = /^\s*max_file(?:_store)?\s*[:=]?\s*["']?([^\s"'#]+)["']?\s*(?:#.*)?$/m.exec(config.text);
      const store = match ? natsBytes(match[1] ?? '') : undefined;
      if (store === undefined) {
        findings.push({
          ...where,
          message: 'the JetStream block sets no max_file_store (or one that cannot be read): the store may fill its disk',
        });
        continue;
      }
      // The claim mounted where the store lives (the first claim when that cannot be told).
      const storeDir = /^\s*store_dir\s*[:=]?\s*["']?([^\s"'#]+)/m.exec(config.text)?.[1];
      const claims = asArray(getPath(statefulSet, ['spec', 'volumeClaimTemplates']));
      const mounts = containers.flatMap((c) => (isRecord(c) ? asArray(c['volumeMounts']) : []));
      const mount = mounts.find((m) => isRecord(m) && typeof m['mountPath'] === 'string' && storeDir?.startsWith(m['mountPath']) === true);
      const byName = claims.findIndex((c) => isRecord(mount) && getPath(c, ['metadata', 'name']) === mount['name']);
      const claimIndex = byName >= 0 ? byName : 0;
      const request = getPath(claims[claimIndex], ['spec', 'resources', 'requests', 'storage']);
      const volume = request === undefined ? undefined : kubernetesBytes(String(request));
      if (request !== undefined && volume === undefined) {
        findings.push({
          object: statefulSet,
          path: ['spec', 'volumeClaimTemplates', claimIndex, 'spec', 'resources', 'requests', 'storage'],
          message: `the volume request ${JSON.stringify(request)} cannot be read as a Kubernetes quantity`,
        });
      }
      if (volume !== undefined && store > volume * STORE_SHARE_OF_VOLUME) {
        findings.push({
          ...where,
          message: `max_file_store ${match?.[1]} (${mib(store)}) is more than ${STORE_SHARE_OF_VOLUME * 100} % of the ${mib(volume)} volume each NATS pod claims: the disk fills before JetStream refuses a write; at most ${mib(Math.floor(volume * STORE_SHARE_OF_VOLUME))}`,
        });
      }
      const streams: readonly { name: string; maxBytes?: number }[] = TandemTopology.streams;
      const unbounded = streams.filter((s) => !(s.maxBytes !== undefined && s.maxBytes > 0)).map((s) => s.name);
      if (unbounded.length > 0) {
        findings.push({
          ...where,
          message: `stream(s) ${unbounded.join(', ')} (libs/contracts TandemTopology) have no max_bytes: each could take the whole store`,
        });
      }
      const declared = streams.reduce((sum, s) => sum + (s.maxBytes !== undefined && s.maxBytes > 0 ? s.maxBytes : 0), 0);
      if (declared > store) {
        findings.push({
          ...where,
          message: `the streams the topology declares may hold ${mib(declared)} (libs/contracts TandemTopology), more than max_file_store ${match?.[1]} (${mib(store)})`,
        });
      }
    }
    return findings;
  },
};

/** The NATS config the StatefulSet mounts: a ConfigMap volume whose data has a `jetstream {` block. */
function natsConfigOf(
  statefulSet: KubeObject,
  configMaps: readonly KubeObject[],
): { object: KubeObject; key: string; text: string } | undefined {
  const volumes = asArray(getPath(statefulSet, ['spec', 'template', 'spec', 'volumes']));
  const names = new Set(volumes.map((v) => getPath(v, ['configMap', 'name'])).filter((n): n is string => typeof n === 'string'));
  for (const object of configMaps) {
    if (!names.has(String(getPath(object, ['metadata', 'name'])))) continue;
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
  const factor: Record<string, number> = { '': 1 };
  ['k', 'm', 'g', 't', 'p', 'e'].forEach((unit, i) => {
    factor[unit] = 1000 ** (i + 1);
    for (const binary of [`${unit}b`, `${unit}i`, `${unit}ib`]) factor[binary] = 1024 ** (i + 1);
  });
  const f = factor[(match[2] ?? '').toLowerCase()];
  return f === undefined ? undefined : Number(match[1]) * f;
}

/** A Kubernetes quantity (`2Gi`, `500M`, `2000000k`, `2e9`, a plain number), in bytes. */
export function kubernetesBytes(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(?:(k|[KMGTPE]i|[MGTPE])|[eE](\d+))?$/.exec(value.trim());
  if (!match) return undefined;
  const [, number, suffix, exponent] = match;
  if (exponent !== undefined) return Number(number) * 10 ** Number(exponent);
  if (suffix === undefined) return Number(number);
  const power = 'KMGTPE'.indexOf(suffix.charAt(0).toUpperCase()) + 1;
  return Number(number) * (suffix.endsWith('i') ? 1024 ** power : 1000 ** power);
}

function mib(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MiB`;
}
