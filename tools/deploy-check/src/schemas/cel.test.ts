import { toCel } from './cel';

// The API server hands CEL whole numbers as ints; cel-js represents ints as BigInt and doubles as numbers.
describe('toCel', () => {
  it('makes whole numbers CEL ints, except where the schema says number (a double)', () => {
    const schema = {
      type: 'object',
      properties: {
        port: { type: 'integer' },
        percentage: { type: 'number' },
        ports: { type: 'array', items: { type: 'integer' } },
        weights: { type: 'object', additionalProperties: { type: 'number' } },
      },
    };
    expect(toCel({ port: 80, percentage: 100, ports: [1, 2], weights: { a: 90 }, open: 3, ratio: 0.5, name: 'x' }, schema)).toEqual({
      port: 80n,
      percentage: 100,
      ports: [1n, 2n],
      weights: { a: 90 },
      open: 3n,
      ratio: 0.5,
      name: 'x',
    });
  });
});
