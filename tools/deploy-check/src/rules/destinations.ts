import { asArray, getPath, isRecord, namespaceOf, type FieldPath, type KubeObject } from '../model';

/** A route destination of a VirtualService and where it is. */
export interface RouteDestination {
  readonly object: KubeObject;
  readonly path: FieldPath;
  readonly host: string;
  readonly subset?: string;
}

/** Every `route[].destination` (http, tcp, tls) and `mirror` of every VirtualService. */
export function routeDestinations(virtualServices: readonly KubeObject[]): RouteDestination[] {
  const out: RouteDestination[] = [];
  for (const object of virtualServices) {
    for (const protocol of ['http', 'tcp', 'tls']) {
      asArray(getPath(object, ['spec', protocol])).forEach((route, routeIndex) => {
        if (!isRecord(route)) return;
        asArray(route['route']).forEach((entry, index) => {
          const destination = isRecord(entry) ? entry['destination'] : undefined;
          if (!isRecord(destination) || typeof destination['host'] !== 'string') return;
          out.push({
            object,
            path: ['spec', protocol, routeIndex, 'route', index, 'destination'],
            host: destination['host'],
            ...(typeof destination['subset'] === 'string' ? { subset: destination['subset'] } : {}),
          });
        });
      });
    }
  }
  return out;
}

/** The fully qualified form of a host seen from a namespace (`order` → `order.tandem.svc.cluster.local`). */
export function qualifyHost(host: string, namespace: string): string {
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${host}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
}

/** The DestinationRule for a host (compared fully qualified). */
export function destinationRuleFor(rules: readonly KubeObject[], host: string, fromNamespace: string): KubeObject | undefined {
  const wanted = qualifyHost(host, fromNamespace);
  return rules.find((rule) => {
    const ruleHost = getPath(rule, ['spec', 'host']);
    return typeof ruleHost === 'string' && qualifyHost(ruleHost, namespaceOf(rule)) === wanted;
  });
}
