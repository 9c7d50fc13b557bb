import { asArray, getPath, isRecord, namespaceOf } from '../model';
import type { Rule, RuleFinding } from '../rule';
import { destinationRuleFor, routeDestinations } from './destinations';

/** A subset a route names is defined by a DestinationRule for the route's host. */
export const routeSubsets: Rule = {
  name: 'route-subsets',
  description: 'every subset a route names exists in a DestinationRule for that host',
  check(set) {
    const findings: RuleFinding[] = [];
    const rules = set.ofKind('DestinationRule');
    for (const destination of routeDestinations(set.ofKind('VirtualService'))) {
      if (destination.subset === undefined) continue;
      const rule = destinationRuleFor(rules, destination.host, namespaceOf(destination.object));
      const path = [...destination.path, 'subset'];
      if (!rule) {
        findings.push({
          object: destination.object,
          path,
          message: `subset "${destination.subset}" of ${destination.host}: no DestinationRule has host ${destination.host}`,
        });
        continue;
      }
      const names = asArray(getPath(rule, ['spec', 'subsets'])).map((subset) => (isRecord(subset) ? subset['name'] : undefined));
      if (!names.includes(destination.subset)) {
        findings.push({
          object: destination.object,
          path,
          message: `subset "${destination.subset}" is not defined by DestinationRule ${namespaceOf(rule)}/${String(getPath(rule, ['metadata', 'name']))} (it defines ${names.map(String).join(', ') || 'none'})`,
        });
      }
    }
    return findings;
  },
};
