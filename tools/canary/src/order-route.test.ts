import { ManifestShapeError, ManifestUnreadableError } from './canary-errors';
import { readOrderRoute, withWeights } from './order-route';

const FIXTURE = `# Routing for the order service.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: order
spec:
  hosts: [order.tandem.svc.cluster.local]
  http:
    - name: canary-override   # header match, never touched
      match:
        - headers: { x-canary: { exact: always } }
      route:
        - destination: { host: order.tandem.svc.cluster.local, subset: v2 }
          weight: 100
    - name: weighted
      route:
        - destination:
            host: order.tandem.svc.cluster.local
            subset: v1
          weight: 90 # stable
        - destination:
            host: order.tandem.svc.cluster.local
            subset: v2
          weight: 10
      timeout: 12s
`;

/** FIXTURE with `from` replaced by `to`; fails if `from` is not there, so no case tests the untouched fixture. */
function variant(from: string | RegExp, to: string, text = FIXTURE): string {
  const changed = text.replace(from, to);
  if (changed === text) throw new Error(`fixture has no ${String(from)}`);
  return changed;
}

function shapeError(text: string): ManifestShapeError {
  try {
    readOrderRoute(text, 'vs.yaml');
  } catch (error) {
    if (error instanceof ManifestShapeError) return error;
    throw error;
  }
  throw new Error('expected the VirtualService to be refused');
}

const V1_WEIGHT = 'subset: v1\n          weight: 90';
const V2_DESTINATION = 'subset: v2\n          weight: 10';

/** FIXTURE with a second split route (the event streams') ahead of the weighted one. */
const WITH_EVENTS = variant(
  '    - name: weighted\n',
  `    - name: events
      match:
        - uri: { regex: "^/orders/[^/]+/events$" }
      route:
        - destination: { host: order.tandem.svc.cluster.local, subset: v1 }
          weight: 90
        - destination: { host: order.tandem.svc.cluster.local, subset: v2 }
          weight: 10
      retries: { attempts: 2 }
    - name: weighted
`,
);

describe('order VirtualService weighted route', () => {
  it('moves every other route that splits between v1 and v2 with the weighted one', () => {
    const edited = withWeights(readOrderRoute(WITH_EVENTS, 'vs.yaml'), { v1: 60, v2: 40 });
    expect(edited.match(/weight: (\d+)/g)).toEqual(['weight: 100', 'weight: 60', 'weight: 40', 'weight: 60', 'weight: 40']);
    expect(edited).toContain('weight: 60 # stable');
    expect(readOrderRoute(edited, 'vs.yaml').weights).toEqual({ v1: 60, v2: 40 });
  });

  it('refuses a split route whose weights differ from the weighted route, naming it', () => {
    const drifted = variant('subset: v1 }\n          weight: 90', 'subset: v1 }\n          weight: 80', WITH_EVENTS);
    const ahead = variant(
      'subset: v2 }\n          weight: 10\n      retries',
      'subset: v2 }\n          weight: 20\n      retries',
      drifted,
    );
    expect(() => readOrderRoute(ahead, 'vs.yaml')).toThrow(
      'vs.yaml: spec.http[1].route: splits v1 80 / v2 20, but the "weighted" route v1 90 / v2 10: every route that splits between the subsets carries the canary weights (set them equal by hand)',
    );
  });

  it('reads the weights, host and field paths of the route named "weighted"', () => {
    const route = readOrderRoute(FIXTURE, 'vs.yaml');
    expect(route).toMatchObject({
      name: 'order',
      host: 'order.tandem.svc.cluster.local',
      weights: { v1: 90, v2: 10 },
      subsetPaths: { v1: 'spec.http[1].route[0].destination.subset', v2: 'spec.http[1].route[1].destination.subset' },
    });
  });

  it('edits only the two weight scalars: comments, layout and the other route stay byte for byte', () => {
    const edited = withWeights(readOrderRoute(FIXTURE, 'vs.yaml'), { v1: 70, v2: 30 });
    const before = FIXTURE.split('\n');
    const after = edited.split('\n');
    expect(after).toHaveLength(before.length);
    const differing = before.flatMap((line, i) => (line === after[i] ? [] : [[line, after[i]]]));
    expect(differing).toEqual([
      ['          weight: 90 # stable', '          weight: 70 # stable'],
      ['          weight: 10', '          weight: 30'],
    ]);
    expect(readOrderRoute(edited, 'vs.yaml').weights).toEqual({ v1: 70, v2: 30 });
  });

  it('matches weights to subsets, not to positions, when v2 is listed first', () => {
    const swapped = variant('subset: v1', 'subset: vX', FIXTURE).replace(/subset: v2\n {10}weight: 10/, 'subset: v1\n          weight: 10');
    const text = variant('subset: vX', 'subset: v2', swapped);
    const route = readOrderRoute(text, 'vs.yaml');
    expect(route.weights).toEqual({ v1: 10, v2: 90 });
    expect(readOrderRoute(withWeights(route, { v1: 100, v2: 0 }), 'vs.yaml').weights).toEqual({ v1: 100, v2: 0 });
  });

  it('keeps CRLF line endings', () => {
    const crlf = FIXTURE.replace(/\n/g, '\r\n');
    const edited = withWeights(readOrderRoute(crlf, 'vs.yaml'), { v1: 0, v2: 100 });
    expect(edited).toBe(crlf.replace('weight: 90 #', 'weight: 0 #').replace(/weight: 10\r\n {6}timeout/, 'weight: 100\r\n      timeout'));
  });

  it('refuses weights that do not add up to 100 when editing', () => {
    expect(() => withWeights(readOrderRoute(FIXTURE, 'vs.yaml'), { v1: 50, v2: 60 })).toThrow(RangeError);
  });

  it('refuses text that is not YAML, naming the file', () => {
    expect(() => readOrderRoute('spec: [unclosed\n', 'vs.yaml')).toThrow(ManifestUnreadableError);
    expect(() => readOrderRoute('spec: [unclosed\n', 'vs.yaml')).toThrow(/^vs\.yaml: not valid YAML: /);
  });

  it.each<[string, string, string]>([
    ['an empty file', '', '(document): expected a VirtualService object, got nothing'],
    ['another kind', variant('kind: VirtualService', 'kind: DestinationRule'), 'kind: expected VirtualService, got "DestinationRule"'],
    [
      'another API group',
      variant('networking.istio.io/v1', 'apps/v1'),
      'apiVersion: expected networking.istio.io/<version>, got "apps/v1"',
    ],
    [
      'another name',
      variant('name: order', 'name: gateway'),
      'metadata.name: expected "order" (the VirtualService the canary edits), got "gateway"',
    ],
    ['no http routes', variant(/ {2}http:[\s\S]*$/, '  tcp: []\n'), 'spec.http: expected a list of HTTP routes, got nothing'],
    [
      'no route named weighted',
      variant('name: weighted', 'name: split'),
      'spec.http: no route named "weighted" (the route whose weights are the canary)',
    ],
    [
      'two routes named weighted',
      variant('name: canary-override', 'name: weighted'),
      'spec.http: 2 routes are named "weighted" (spec.http[0], spec.http[1]); expected one',
    ],
    [
      'one destination',
      variant(/ {8}- destination:\n {12}host: order.tandem.svc.cluster.local\n {12}subset: v2\n {10}weight: 10\n/, ''),
      'spec.http[1].route: has 1 destinations, expected exactly 2 (subsets v1 and v2)',
    ],
    [
      'three destinations',
      variant(
        '      timeout: 12s',
        '        - destination: { host: order.tandem.svc.cluster.local, subset: v3 }\n          weight: 0\n      timeout: 12s',
      ),
      'spec.http[1].route: has 3 destinations, expected exactly 2 (subsets v1 and v2)',
    ],
    [
      'an unknown subset',
      variant(V2_DESTINATION, 'subset: v3\n          weight: 10'),
      'spec.http[1].route[1].destination.subset: unknown subset "v3" (expected v1 or v2)',
    ],
    [
      'a missing subset',
      variant(V2_DESTINATION, 'weight: 10'),
      'spec.http[1].route[1].destination.subset: unknown subset nothing (expected v1 or v2)',
    ],
    [
      'a duplicate subset',
      variant(V2_DESTINATION, 'subset: v1\n          weight: 10'),
      'spec.http[1].route[1].destination.subset: duplicate subset "v1" (also at spec.http[1].route[0].destination.subset)',
    ],
    [
      'a host that differs',
      variant(/host: order.tandem.svc.cluster.local\n {12}subset: v2/, 'host: order-v2.tandem.svc.cluster.local\n            subset: v2'),
      'spec.http[1].route[1].destination.host: host "order-v2.tandem.svc.cluster.local" differs from "order.tandem.svc.cluster.local" at spec.http[1].route[0].destination.host',
    ],
    [
      'a fractional weight',
      variant(V1_WEIGHT, 'subset: v1\n          weight: 89.5'),
      'spec.http[1].route[0].weight: expected an integer 0..100, got 89.5',
    ],
    [
      'a weight written 1.0',
      variant(V1_WEIGHT, 'subset: v1\n          weight: 90.0'),
      'spec.http[1].route[0].weight: expected an integer 0..100, got 90.0',
    ],
    [
      'a quoted weight',
      variant(V1_WEIGHT, 'subset: v1\n          weight: "90"'),
      'spec.http[1].route[0].weight: expected an integer 0..100, got "90"',
    ],
    [
      'a negative weight',
      variant(V1_WEIGHT, 'subset: v1\n          weight: -90'),
      'spec.http[1].route[0].weight: expected an integer 0..100, got -90',
    ],
    [
      'a weight over 100',
      variant(V1_WEIGHT, 'subset: v1\n          weight: 190'),
      'spec.http[1].route[0].weight: expected an integer 0..100, got 190',
    ],
    ['a missing weight', variant(V1_WEIGHT, 'subset: v1'), 'spec.http[1].route[0].weight: expected an integer 0..100, got nothing'],
    [
      'weights summing to 95',
      variant(V1_WEIGHT, 'subset: v1\n          weight: 85'),
      'spec.http[1].route: weights add up to 95 (v1 85 + v2 10), expected 100',
    ],
  ])('refuses %s, naming the file and field', (_case, text, message) => {
    const error = shapeError(text);
    expect(error.message).toBe(`vs.yaml: ${message}`);
    expect(error.code).toBe('CANARY_ERR_MANIFEST_SHAPE');
  });
});
