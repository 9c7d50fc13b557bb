import { MeshRoutingHeaders } from '@tandem/contracts';
import { asArray, describeObject, getPath, isRecord, namespaceOf, type KubeObject } from '../model';
import { resolveEnvValue, tandemApp, type RenderedSet, type Rule, type RuleFinding } from '../rule';

/**
 * What each Tandem service forwards of the request it serves when it calls another service.
 * The gateway forwards contracts' MeshRoutingHeaders (apps/gateway `routingHeaders`); order
 * and consumer call no service over HTTP.
 */
export const FORWARDED_HEADERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  gateway: MeshRoutingHeaders,
});

/** Headers every call from the gateway to order carries whatever the client sent (apps/gateway order-service.ts). */
const ALWAYS_SENT = ['x-request-id', 'content-type', 'accept', 'idempotency-key', 'last-event-id', 'traceparent', 'tracestate'];

/** Service hosts a container calls: the hosts of http(s) URLs in its env values, literal or from a ConfigMap of the render. */
function calledHosts(set: RenderedSet, namespace: string, container: Record<string, unknown>): string[] {
  return asArray(container['env'])
    .map((entry) => (isRecord(entry) ? (resolveEnvValue(set, namespace, entry).value ?? '') : ''))
    .flatMap((value) => {
      const match = /^https?:\/\/([^/:]+)/.exec(value);
      return match ? [match[1] as string] : [];
    });
}

/**
 * A VirtualService route that matches a request header on a hop inside the mesh only sees
 * that header if the calling service forwards it from the request it serves: otherwise the
 * route never matches (`x-canary: always` never reached order v2). For each mesh
 * VirtualService, the Tandem workloads that call its hosts (a URL in their env, literal or
 * from a ConfigMap) must forward every header it matches, beyond those every call carries;
 * a route on a header that no known caller sends is reported too. What the gateway forwards
 * is its code's list (contracts' MeshRoutingHeaders): its tests hold the code to it.
 */
export const forwardedHeaders: Rule = {
  name: 'forwarded-headers',
  description: 'a mesh VirtualService matches only request headers that every Tandem service calling its host forwards',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const service of set.ofKind('VirtualService')) {
      const gateways = asArray(getPath(service, ['spec', 'gateways']));
      if (gateways.length > 0 && !gateways.includes('mesh')) continue; // at an ingress: the client sends the headers
      const targets = new Set<KubeObject>();
      for (const host of asArray(getPath(service, ['spec', 'hosts']))) {
        const target = typeof host === 'string' ? set.serviceForHost(host, namespaceOf(service)) : undefined;
        if (target) targets.add(target);
      }
      const callers = set.workloads().flatMap((workload) =>
        workload.containers
          .filter(({ container }) =>
            calledHosts(set, namespaceOf(workload.object), container).some((host) => {
              const target = set.serviceForHost(host, namespaceOf(workload.object));
              return target !== undefined && targets.has(target);
            }),
          )
          .map(({ container }) => ({ workload, app: tandemApp(container['image']) })),
      );
      asArray(getPath(service, ['spec', 'http'])).forEach((route, r) => {
        asArray(getPath(route, ['match'])).forEach((match, m) => {
          const headers = getPath(match, ['headers']);
          if (!isRecord(headers)) return;
          for (const header of Object.keys(headers)) {
            const name = header.toLowerCase();
            if (name.startsWith(':') || ALWAYS_SENT.includes(name)) continue;
            if (callers.length === 0) {
              findings.push({
                object: service,
                path: ['spec', 'http', r, 'match', m, 'headers', header],
                message: `matches request header ${name}, but no Tandem service in this render calls this host (its URL in an env value): nothing shows that the header reaches this hop`,
              });
            }
            for (const caller of callers) {
              const forwarded = caller.app ? (FORWARDED_HEADERS[caller.app] ?? []) : [];
              if (forwarded.includes(name)) continue;
              findings.push({
                object: service,
                path: ['spec', 'http', r, 'match', m, 'headers', header],
                message: `matches request header ${name} on the hop from ${caller.app ?? 'a service'} (${describeObject(caller.workload.object)}), which does not forward it (it forwards ${forwarded.length > 0 ? forwarded.join(', ') : 'no request header'}): this route never matches there`,
              });
            }
          }
        });
      });
    }
    return findings;
  },
};
