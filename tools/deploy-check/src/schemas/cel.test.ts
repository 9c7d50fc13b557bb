import { parseUrl, toCel } from './cel';

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

// Kubernetes' CEL url() is Go's url.ParseRequestURI: no port range check, no default ports, absolute paths allowed.
describe('parseUrl', () => {
  it('splits a URL as Go does', () => {
    expect(parseUrl('https://user@example.com:99999/jwks?x=1')).toMatchObject({
      scheme: 'https',
      host: 'example.com:99999',
      path: '/jwks',
    });
    expect(parseUrl('https://example.com:99999/jwks')).toMatchObject({ hostname: 'example.com', port: '99999' });
    expect(parseUrl('https://[fe80::1%25eth0]:8443/')).toMatchObject({ hostname: 'fe80::1%25eth0', port: '8443' });
    expect(parseUrl('http://example.com')).toMatchObject({ scheme: 'http', port: '', path: '' });
    expect(parseUrl('/jwks')).toMatchObject({ scheme: '', host: '', path: '/jwks' });
    expect(parseUrl('https://example.com/keys#current')).toMatchObject({ scheme: 'https', path: '/keys' });
  });

  it.each(['example.com/jwks', 'jwks', ''])('refuses %s (not an absolute URI or path)', (value) => {
    expect(() => parseUrl(value)).toThrow(/is not an absolute URI or an absolute path/);
  });
});
