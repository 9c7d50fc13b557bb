import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The services deploy/ runs, each with a container memory limit. */
export type DeployedApp = 'gateway' | 'order' | 'consumer';

/**
 * Which deploy/ limit each bench process runs under: a service its own; a yardstick the limit
 * of the service it is compared with, so both run under the same memory. The all-in-one
 * process is not deployed (no limit: its peak is reported, nothing is judged).
 */
export const LIMIT_OF: Readonly<Record<string, DeployedApp>> = {
  gateway: 'gateway',
  order: 'order',
  consumer: 'consumer',
  'ceiling-gateway': 'gateway',
  'ceiling-service': 'order',
  'design-service': 'order',
  'design-workers': 'consumer',
  'bare-consumer': 'consumer',
};

/** `256Mi`, `1Gi`, `268435456`, `300M` → MiB. */
export function quantityMiB(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity.trim());
  if (!match) throw new Error(`not a Kubernetes memory quantity: ${quantity}`);
  const factor: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 2 ** 20, M: 1e6 / 2 ** 20, G: 1e9 / 2 ** 20 };
  return Number(match[1]) * (match[2] ? (factor[match[2]] as number) : 1 / 2 ** 20);
}

/** The memory limit of `app`'s container in deploy/k8s/base/<app>.yaml (every Deployment of it, which must agree), in MiB. */
export function deployMemoryLimitMiB(root: string, app: DeployedApp): number {
  const file = join(root, 'deploy', 'k8s', 'base', `${app}.yaml`);
  const limits = new Set<number>();
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const manifest = doc.toJS() as {
      kind?: string;
      spec?: { template?: { spec?: { containers?: Array<{ name?: string; resources?: { limits?: { memory?: string } } }> } } };
    } | null;
    if (manifest?.kind !== 'Deployment') continue;
    const container = manifest.spec?.template?.spec?.containers?.find((c) => c.name === app);
    const memory = container?.resources?.limits?.memory;
    if (memory !== undefined) limits.add(quantityMiB(String(memory)));
  }
  if (limits.size !== 1) throw new Error(`${file}: expected one memory limit for container ${app}, found ${limits.size}`);
  return [...limits][0] as number;
}
