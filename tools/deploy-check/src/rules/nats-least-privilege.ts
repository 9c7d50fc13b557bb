import { TandemTopology } from '@tandem/contracts';
import { asArray, getPath, isRecord, kindOf, type KubeObject } from '../model';
import { envValue, tandemApp, type Rule, type RuleFinding } from '../rule';

/**
 * JetStream API verbs a service may be given: looking at streams and consumers, pulling,
 * reading messages. Anything else under `$JS.API.` (create, update, delete, purge, message
 * delete, restore, pause, list) is the administrative identity's.
 */
const READ_ONLY_API = ['INFO', 'STREAM.INFO.', 'CONSUMER.INFO.', 'CONSUMER.MSG.NEXT.', 'STREAM.MSG.GET.', 'DIRECT.GET.'];

/** Subjects that change or remove Tandem's topology or its data: no service user may publish any of these. */
function managementSubjects(): string[] {
  const subjects = ['$JS.API.STREAM.LIST', '$JS.API.STREAM.NAMES', '$JS.API.CONSUMER.LIST.ORDERS', '$JS.API.STREAM.CREATE.ANY'];
  for (const stream of TandemTopology.streams) {
    for (const op of ['CREATE', 'UPDATE', 'DELETE', 'PURGE', 'MSG.DELETE', 'RESTORE', 'SNAPSHOT'])
      subjects.push(`$JS.API.STREAM.${op}.${stream.name}`);
    // an ephemeral consumer, and a durable of the user's own choosing
    subjects.push(`$JS.API.CONSUMER.CREATE.${stream.name}`, `$JS.API.CONSUMER.CREATE.${stream.name}.other.x`);
  }
  for (const consumer of TandemTopology.consumers) {
    subjects.push(`$JS.API.CONSUMER.CREATE.${consumer.stream}.${consumer.durable}`);
    subjects.push(`$JS.API.CONSUMER.CREATE.${consumer.stream}.${consumer.durable}.${consumer.filterSubject.replace(/\*/g, 'x')}`);
    subjects.push(`$JS.API.CONSUMER.DURABLE.CREATE.${consumer.stream}.${consumer.durable}`);
    subjects.push(`$JS.API.CONSUMER.DELETE.${consumer.stream}.${consumer.durable}`);
    subjects.push(`$JS.API.CONSUMER.PAUSE.${consumer.stream}.${consumer.durable}`);
  }
  return subjects;
}

/** True when an allowed publish pattern gives more than {@link READ_ONLY_API} of the JetStream API, or covers a management subject. */
export function grantsManagement(pattern: string, forbidden: readonly string[] = managementSubjects()): boolean {
  if (forbidden.some((subject) => subjectCovers(pattern, subject))) return true;
  if (!pattern.startsWith('$JS.API.')) return false;
  const verb = pattern.slice('$JS.API.'.length);
  return !READ_ONLY_API.some((allowed) => (allowed.endsWith('.') ? verb.startsWith(allowed) : verb === allowed));
}

/** NATS subject matching: `*` one token, `>` the rest. */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** The publish allow-list of a `NAME = { publish: { allow: [...] } … }` block (the form deploy/nats uses); undefined when absent. */
export function publishAllowList(conf: string, block: string): string[] | undefined {
  const text = conf
    .split('\n')
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .join('\n');
  const start = new RegExp(`(^|\\n)\\s*${block.replace(/[$]/g, '\\$&')}\\s*[=:]\\s*\\{`).exec(text);
  if (!start) return undefined;
  let depth = 0;
  let end = -1;
  for (let i = text.indexOf('{', start.index); i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) {
      end = i;
      break;
    }
  }
  const body = text.slice(start.index, end + 1);
  const single = /publish\s*[:=]\s*(?:\{[^}]*?allow\s*[:=]\s*)?["']([^"']+)["']/.exec(body);
  const publish = /publish\s*[:=]\s*\{[^}]*?allow\s*[:=]\s*\[([^\]]*)\]/.exec(body) ?? /publish\s*[:=]\s*\[([^\]]*)\]/.exec(body);
  if (!publish) return single ? [single[1] as string] : [];
  return [...(publish[1] ?? '').matchAll(/"([^"]+)"|'([^']+)'|([^\s,"']+)/g)].map((m) => (m[1] ?? m[2] ?? m[3]) as string);
}

interface NatsUser {
  readonly name: string;
  /** The `$NAME` of its permission block; undefined when it has none or inline ones (unreadable here). */
  readonly permissions?: string;
}

/** `{ user: x, password: …, permissions: $NAME }` entries of a NATS config (any user entry; the reference when there is one). */
function usersOf(conf: string): NatsUser[] {
  return [...conf.matchAll(/\{\s*user\s*:\s*"?([\w.-]+)"?\s*,([^}]*)\}/g)].map((m) => {
    const reference = /permissions\s*:\s*\$(\w+)\s*$/.exec((m[2] ?? '').trim());
    return { name: m[1] as string, ...(reference ? { permissions: reference[1] as string } : {}) };
  });
}

/**
 * Least privilege on NATS (SPEC §4): the services' NATS users cannot create,
 * update, delete or purge a stream or consumer of the topology — only the user the topology
 * Job connects as may — and no service connects as that user.
 */
export const natsLeastPrivilege: Rule = {
  name: 'nats-least-privilege',
  description:
    'no service NATS user may create, update, delete or purge streams or consumers; only the topology Job connects as the user that may',
  check(set) {
    const findings: RuleFinding[] = [];
    const configs: { object: KubeObject; key: string; text: string }[] = [];
    for (const object of set.ofKind('ConfigMap')) {
      const data = getPath(object, ['data']);
      if (!isRecord(data)) continue;
      for (const [key, text] of Object.entries(data)) if (typeof text === 'string') configs.push({ object, key, text });
    }
    const users = configs.flatMap((c) => usersOf(c.text));
    if (users.length === 0) return findings;
    const blockText = (name: string) => configs.find((c) => publishAllowList(c.text, name) !== undefined);
    const admins = new Set(
      set
        .jobs()
        .flatMap((job) => job.containers)
        .filter(({ container }) => tandemApp(container['image']) === 'topology')
        .map(({ container }) => envValue(container, 'NATS_USER'))
        .filter((u): u is string => u !== undefined),
    );
    const forbidden = managementSubjects();
    const usersAt = configs.find((c) => usersOf(c.text).length > 0);
    for (const user of users) {
      if (admins.has(user.name)) continue;
      const where = user.permissions === undefined ? undefined : blockText(user.permissions);
      if (!where || user.permissions === undefined) {
        const at = usersAt ?? configs[0];
        if (at)
          findings.push({
            object: at.object,
            path: ['data', at.key],
            message: `NATS user ${user.name} has no permissions block this check can read (\`permissions: $NAME\` with \`NAME = { publish: … }\`): without one it may do anything`,
          });
        continue;
      }
      const allowed = publishAllowList(where.text, user.permissions) ?? [];
      const grants = allowed.filter((pattern) => grantsManagement(pattern, forbidden));
      if (grants.length > 0) {
        findings.push({
          object: where.object,
          path: ['data', where.key],
          message: `NATS user ${user.name} (${user.permissions}) may publish ${grants.map((g) => JSON.stringify(g)).join(', ')}: it could declare, change, delete or purge the topology or its data; only the administrative identity (the topology Job's user) may`,
        });
      }
    }
    for (const workload of set.workloads()) {
      if (kindOf(workload.object) === 'Job') continue;
      for (const { container, path } of workload.containers) {
        const app = tandemApp(container['image']);
        const user = envValue(container, 'NATS_USER');
        if (!app || user === undefined || !admins.has(user)) continue;
        const index = asArray(container['env']).findIndex((e) => isRecord(e) && e['name'] === 'NATS_USER');
        findings.push({
          object: workload.object,
          path: [...path, 'env', index, 'value'],
          message: `${app} connects to NATS as ${user}, the administrative identity that declares the topology: give it its own user`,
        });
      }
    }
    return findings;
  },
};
