import { ManifestShapeError, UndefinedSubsetError } from './canary-errors';
import { assertSubsetsDefined, readDestinationRuleSubsets } from './destination-rule';
import { readOrderRoute } from './order-route';

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: order
spec:
  host: order.tandem.svc.cluster.local
  subsets:
    - name: v1
      labels: { version: v1 }
    - name: v2
      labels: { version: v2 }
`;

const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: order }
spec:
  http:
    - name: weighted
      route:
        - destination: { host: order, subset: v1 }
          weight: 90
        - destination: { host: order, subset: v2 }
          weight: 10
`;

describe('order DestinationRule subsets', () => {
  it('lists the subset names in file order', () => {
    expect(readDestinationRuleSubsets(DR, 'dr.yaml')).toEqual(['v1', 'v2']);
  });

  it('accepts a route whose subsets are all defined', () => {
    expect(() => assertSubsetsDefined(readOrderRoute(VS, 'vs.yaml'), ['v1', 'v2'], 'dr.yaml')).not.toThrow();
  });

  it('refuses a route to a subset the DestinationRule does not define, naming both files and the field', () => {
    const subsets = readDestinationRuleSubsets(DR.replace(/ {4}- name: v2\n.*\n/, ''), 'dr.yaml');
    expect(subsets).toEqual(['v1']);
    const check = (): void => assertSubsetsDefined(readOrderRoute(VS, 'vs.yaml'), subsets, 'dr.yaml');
    expect(check).toThrow(UndefinedSubsetError);
    expect(check).toThrow(
      'vs.yaml: spec.http[0].route[1].destination.subset: subset "v2" is not defined in dr.yaml (its spec.subsets has "v1")',
    );
  });

  it('reads a DestinationRule without subsets as defining none', () => {
    expect(readDestinationRuleSubsets(DR.replace(/ {2}subsets:[\s\S]*$/, ''), 'dr.yaml')).toEqual([]);
  });

  it('refuses a file that is not a DestinationRule and a subset without a name', () => {
    expect(() => readDestinationRuleSubsets(VS, 'dr.yaml')).toThrow('dr.yaml: kind: expected DestinationRule, got "VirtualService"');
    const unnamed = DR.replace('- name: v2', '- title: v2');
    expect(() => readDestinationRuleSubsets(unnamed, 'dr.yaml')).toThrow(ManifestShapeError);
    expect(() => readDestinationRuleSubsets(unnamed, 'dr.yaml')).toThrow(
      'dr.yaml: spec.subsets[1].name: expected a subset name, got nothing',
    );
  });
});
