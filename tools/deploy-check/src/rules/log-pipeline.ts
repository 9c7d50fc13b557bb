import { parse } from 'yaml';
import { asArray, getPath, isRecord, nameOf, namespaceOf, type KubeObject } from '../model';
import { serviceUrlProblem, tandemApp, type RenderedSet, type Rule, type RuleFinding } from '../rule';

/**
 * A log line as Tandem's services write it (libs/telemetry's logger inside a span): what a
 * derived field must find the trace id in. (e2e/test/logs-beside-traces.int.test.ts applies
 * the manifest's derived field to a real one.)
 */
export const TANDEM_LOG_LINE =
  '{"level":"warn","time":"2026-12-05T10:00:00.000Z","service":"consumer","version":"v1","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","trace_flags":"01","msg":"handler failed"}';
const TANDEM_TRACE_ID = (JSON.parse(TANDEM_LOG_LINE) as { trace_id: string }).trace_id;

interface Embedded {
  readonly object: KubeObject;
  readonly key: string;
  readonly value: Record<string, unknown>;
}

/** The YAML documents a render's ConfigMaps carry, parsed (what does not parse as a mapping is skipped). */
function embedded(set: RenderedSet): Embedded[] {
  return set.ofKind('ConfigMap').flatMap((object) => {
    const data = getPath(object, ['data']);
    if (!isRecord(data)) return [];
    return Object.entries(data).flatMap(([key, text]) => {
      if (typeof text !== 'string') return [];
      try {
        const value: unknown = parse(text);
        return isRecord(value) ? [{ object, key, value }] : [];
      } catch {
        return [];
      }
    });
  });
}

/**
 * A filelog glob (doublestar) as a RegExp: `*` and `?` stay within one path segment, `**`
 * crosses segments, `{a,b}` is either (not nested).
 */
export function globToRegExp(glob: string): RegExp {
  const literal = (text: string) => text.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
  const segment = (text: string) => text.split('*').map(literal).join('[^/]*');
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    const close = c === '{' ? glob.indexOf('}', i) : -1;
    if (c === '*' && glob.charAt(i + 1) === '*') {
      source += '.*';
      i += 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (close > i) {
      source += `(?:${glob
        .slice(i + 1, close)
        .split(',')
        .map(segment)
        .join('|')})`;
      i = close;
    } else source += literal(c);
  }
  return new RegExp(`^${source}$`);
}

/**
 * Logs beside traces (deploy/observability/logs.yaml): in a render with an OpenTelemetry
 * Collector reading the pods' log files, every Tandem service container's logs are among the
 * files it reads (`/var/log/pods/<namespace>_<pod>_<uid>/<container>/`) and every exporter
 * endpoint is a Service port of the render; in a render with Grafana data-source provisioning,
 * every data source URL is a Service port of the render, every link (derived field,
 * trace-to-logs) names a data source that is provisioned, and a derived field that opens a
 * trace finds the trace id in a Tandem log line.
 */
export const logPipeline: Rule = {
  name: 'log-pipeline',
  description:
    'the log collector reads every Tandem container and exports to a Service here; Grafana data sources resolve, link to each other, and find the trace id in a Tandem log line',
  check(set) {
    const findings: RuleFinding[] = [];
    const documents = embedded(set);

    // The collector: what it reads and where it sends.
    for (const { object, key, value } of documents) {
      if (!isRecord(value['receivers']) || !isRecord(value['exporters']) || !isRecord(getPath(value, ['service', 'pipelines']))) continue;
      const at = { object, path: ['data', key] };
      for (const [name, exporter] of Object.entries(value['exporters'])) {
        const endpoint = isRecord(exporter) ? exporter['endpoint'] : undefined;
        if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint)) continue;
        const problem = serviceUrlProblem(set, endpoint, namespaceOf(object));
        if (problem) findings.push({ ...at, message: `exporter ${name} sends to ${endpoint}: ${problem}` });
      }
      for (const [name, receiver] of Object.entries(value['receivers'])) {
        if (!/^file_?log(\/|$)/.test(name) || !isRecord(receiver)) continue;
        const usesPath = asArray(receiver['operators']).some(
          (op) => isRecord(op) && op['type'] === 'container' && op['add_metadata_from_filepath'] !== false,
        );
        if (usesPath && receiver['include_file_path'] !== true)
          findings.push({
            ...at,
            message: `receiver ${name}: its container operator reads namespace, pod and container from the file path, but include_file_path is not true: every line fails to parse and none is sent`,
          });
        const includes = asArray(receiver['include']).map((g) => globToRegExp(String(g)));
        const excludes = asArray(receiver['exclude']).map((g) => globToRegExp(String(g)));
        const missed = new Map<string, string[]>();
        for (const workload of set.workloads()) {
          for (const { container } of workload.containers) {
            const app = tandemApp(container['image']);
            if (!app || app === 'topology') continue;
            const namespace = namespaceOf(workload.object);
            const path = `/var/log/pods/${namespace}_${nameOf(workload.object)}-0_uid/${String(container['name'])}/0.log`;
            if (includes.some((include) => include.test(path)) && !excludes.some((exclude) => exclude.test(path))) continue;
            const what = `${namespace} container "${String(container['name'])}"`;
            missed.set(what, [...(missed.get(what) ?? []), nameOf(workload.object)]);
          }
        }
        for (const [what, workloads] of missed)
          findings.push({
            ...at,
            message: `receiver ${name} reads no log file of ${what} (${workloads.join(', ')}): its log lines never reach the log store`,
          });
      }
    }

    // Grafana's data sources: where they point and how they link.
    for (const { object, key, value } of documents) {
      if (value['apiVersion'] !== 1 || !Array.isArray(value['datasources'])) continue;
      const at = { object, path: ['data', key] };
      const sources = value['datasources'].filter(isRecord);
      const uids = new Map(sources.map((s) => [String(s['uid']), s]));
      for (const source of sources) {
        const label = `data source ${String(source['name'])}`;
        const problem = serviceUrlProblem(set, source['url'], namespaceOf(object));
        if (problem) findings.push({ ...at, message: `${label}: url ${String(source['url'])}: ${problem}` });
        const links = [
          ...asArray(getPath(source, ['jsonData', 'derivedFields'])).map((field) => ({ field, via: 'derived field' })),
          ...['tracesToLogsV2', 'tracesToLogs'].map((k) => ({ field: getPath(source, ['jsonData', k]), via: k })),
        ];
        for (const { field, via } of links) {
          if (!isRecord(field) || field['datasourceUid'] === undefined) continue;
          const target = uids.get(String(field['datasourceUid']));
          const name = via === 'derived field' ? `derived field ${String(field['name'])}` : via;
          if (!target) {
            findings.push({
              ...at,
              message: `${label}: ${name} links to data source uid "${String(field['datasourceUid'])}", which this provisioning does not define (${[...uids.keys()].join(', ')})`,
            });
            continue;
          }
          if (via !== 'derived field' || target['type'] !== 'jaeger' || (field['matcherType'] ?? 'regex') !== 'regex') continue;
          let found: string | undefined;
          try {
            found = new RegExp(String(field['matcherRegex'])).exec(TANDEM_LOG_LINE)?.[1];
          } catch {
            found = undefined;
          }
          if (found !== TANDEM_TRACE_ID)
            findings.push({
              ...at,
              message: `${label}: ${name} (matcherRegex ${JSON.stringify(field['matcherRegex'])}) finds no trace id in a Tandem log line ("trace_id":"<32 hex>"): no log line would open its trace`,
            });
        }
      }
    }
    return findings;
  },
};
