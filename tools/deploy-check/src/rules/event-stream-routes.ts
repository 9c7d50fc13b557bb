import { asArray, getPath, isRecord } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** A request for an order's event stream (SPEC §3), as the mesh sees it: with and without the canary header. */
const EVENT_STREAM_REQUESTS: ReadonlyArray<{ readonly path: string; readonly headers: Readonly<Record<string, string>> }> = [
  { path: '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d/events', headers: {} },
  { path: '/orders/0b6f2d0e-4c1a-4c2b-9d7e-2f0f5a1b3c4d/events', headers: { 'x-canary': 'always' } },
];

/** Hosts of the services that carry event streams (gateway relays them, order serves them). */
const STREAMING_SERVICES = new Set(['gateway', 'order']);

/**
 * A route that carries order event streams (server-sent events, open for minutes) to the
 * gateway or order has no timeout that would cut them: for each request a client makes, the
 * first HTTP route of each VirtualService that matches it (Istio's order) must have `timeout`
 * unset, which is no timeout, and no `retries.perTryTimeout` either. `0s` is reported too:
 * Istio's validation refuses durations under 1ms, so an apply would fail.
 */
export const eventStreamRoutes: Rule = {
  name: 'event-stream-routes',
  description: 'the route an order event stream takes (GET /orders/<id>/events) has no timeout that would cut it',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const object of set.ofKind('VirtualService')) {
      const routes = asArray(getPath(object, ['spec', 'http']));
      const reported = new Set<number>();
      for (const request of EVENT_STREAM_REQUESTS) {
        const index = routes.findIndex((route) => isRecord(route) && routeMatches(route, request.path, request.headers));
        const route = routes[index];
        if (index < 0 || reported.has(index) || !isRecord(route) || !toStreamingService(route)) continue;
        reported.add(index);
        const name = typeof route['name'] === 'string' ? `route "${route['name']}"` : `route ${index}`;
        const timeout = route['timeout'];
        if (timeout !== undefined) {
          findings.push({
            object,
            path: ['spec', 'http', index, 'timeout'],
            message: isZeroDuration(timeout)
              ? `${name} sets timeout ${String(timeout)}, which Istio refuses (its durations must be at least 1ms): leave it unset, which is no timeout`
              : `${name} takes GET ${request.path} (an event stream, open for minutes) but cuts it after ${String(timeout)}: give the events path a route of its own, before this one, with no timeout (unset)`,
          });
        }
        const perTry = getPath(route, ['retries', 'perTryTimeout']);
        if (perTry !== undefined) {
          findings.push({
            object,
            path: ['spec', 'http', index, 'retries', 'perTryTimeout'],
            message: isZeroDuration(perTry)
              ? `${name} sets perTryTimeout ${String(perTry)}, which Istio refuses (at least 1ms): leave it unset`
              : `${name} takes GET ${request.path} (an event stream) but each try is cut after ${String(perTry)}: leave perTryTimeout unset there`,
          });
        }
      }
    }
    return findings;
  },
};

function toStreamingService(route: Record<string, unknown>): boolean {
  return asArray(route['route']).some((destination) => {
    const host = getPath(destination, ['destination', 'host']);
    return typeof host === 'string' && STREAMING_SERVICES.has(host.split('.')[0] ?? '');
  });
}

/** Istio's matching: no `match` matches everything; otherwise any one entry whose conditions all hold. */
function routeMatches(route: Record<string, unknown>, path: string, headers: Readonly<Record<string, string>>): boolean {
  const matches = route['match'];
  if (matches === undefined) return true;
  return asArray(matches).some((match) => {
    if (!isRecord(match)) return false;
    if (match['uri'] !== undefined && !stringMatches(match['uri'], path)) return false;
    if (match['method'] !== undefined && !stringMatches(match['method'], 'GET')) return false;
    for (const [name, condition] of Object.entries(isRecord(match['headers']) ? match['headers'] : {})) {
      const value = headers[name.toLowerCase()];
      if (value === undefined || !stringMatches(condition, value)) return false;
    }
    return true;
  });
}

/** Istio's StringMatch: exact, prefix, or regex (RE2, matching the whole value). */
function stringMatches(condition: unknown, value: string): boolean {
  if (!isRecord(condition)) return false;
  if (typeof condition['exact'] === 'string') return value === condition['exact'];
  if (typeof condition['prefix'] === 'string') return value.startsWith(condition['prefix']);
  if (typeof condition['regex'] === 'string') {
    try {
      return new RegExp(`^(?:${condition['regex']})$`).test(value);
    } catch {
      return false;
    }
  }
  return false;
}

function isZeroDuration(value: unknown): boolean {
  return value === 0 || (typeof value === 'string' && /^0+(\.0+)?(ns|us|µs|ms|s|m|h)?$/.test(value));
}
