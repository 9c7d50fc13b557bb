import { asArray, getPath, namespaceOf } from '../model';
import type { Rule, RuleFinding } from '../rule';
import { routeDestinations } from './destinations';

/** Mesh hosts of VirtualServices and DestinationRules name Services that exist. */
export const hostServices: Rule = {
  name: 'host-services',
  description: 'every VirtualService/DestinationRule host resolves to a Service',
  check(set) {
    const findings: RuleFinding[] = [];
    const missing = (host: string, namespace: string) => !host.includes('*') && !set.serviceForHost(host, namespace);
    for (const object of set.ofKind('VirtualService')) {
      const gateways = asArray(getPath(object, ['spec', 'gateways']));
      // Hosts of a VirtualService bound only to gateways are external names, not Services.
      if (gateways.length === 0 || gateways.includes('mesh')) {
        asArray(getPath(object, ['spec', 'hosts'])).forEach((host, index) => {
          if (typeof host === 'string' && missing(host, namespaceOf(object))) {
            findings.push({ object, path: ['spec', 'hosts', index], message: `host ${host} is not a Service in this render` });
          }
        });
      }
    }
    for (const destination of routeDestinations(set.ofKind('VirtualService'))) {
      if (missing(destination.host, namespaceOf(destination.object))) {
        findings.push({
          object: destination.object,
          path: [...destination.path, 'host'],
          message: `destination host ${destination.host} is not a Service in this render`,
        });
      }
    }
    for (const rule of set.ofKind('DestinationRule')) {
      const host = getPath(rule, ['spec', 'host']);
      if (typeof host === 'string' && missing(host, namespaceOf(rule))) {
        findings.push({ object: rule, path: ['spec', 'host'], message: `host ${host} is not a Service in this render` });
      }
    }
    return findings;
  },
};
