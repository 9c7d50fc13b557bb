import { asArray, getPath, isRecord } from '../model';
import type { Rule, RuleFinding } from '../rule';

/** Every HTTP/TCP/TLS route of a VirtualService with several destinations has weights that add up to 100. */
export const routeWeights: Rule = {
  name: 'route-weights',
  description: 'weights of a route with several destinations add up to 100 (each 0–100)',
  check(set) {
    const findings: RuleFinding[] = [];
    for (const object of set.ofKind('VirtualService')) {
      for (const protocol of ['http', 'tcp', 'tls'] as const) {
        asArray(getPath(object, ['spec', protocol])).forEach((route, routeIndex) => {
          if (!isRecord(route)) return;
          const destinations = asArray(route['route']);
          const path = ['spec', protocol, routeIndex, 'route'];
          const weights = destinations.map((destination) => (isRecord(destination) ? destination['weight'] : undefined));
          weights.forEach((weight, index) => {
            if (weight !== undefined && (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100)) {
              findings.push({
                object,
                path: [...path, index, 'weight'],
                message: `weight ${JSON.stringify(weight)} is not a whole number from 0 to 100`,
              });
            }
          });
          if (destinations.length < 2) return;
          const sum = weights.reduce<number>((total, weight) => total + (typeof weight === 'number' ? weight : 0), 0);
          if (sum !== 100) {
            const name = typeof route['name'] === 'string' ? ` "${route['name']}"` : '';
            findings.push({
              object,
              path,
              message: `weights of route${name} add up to ${sum}, not 100 (${weights.map((w) => String(w ?? 'unset')).join(' + ')})`,
            });
          }
        });
      }
    }
    return findings;
  },
};
