import Fastify from 'fastify';
import helmet from 'helmet';
import { helmetHeaders, securityHeadersPlugin } from './security-headers.plugin';

describe('security headers plugin', () => {
  it('sets the headers helmet itself sets, on answers, errors and 404s alike', async () => {
    const app = Fastify();
    await app.register(securityHeadersPlugin);
    app.get('/ok', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    // What helmet's own middleware writes on a real response, with its defaults.
    const direct = Fastify();
    direct.addHook('onRequest', (request, reply, done) => helmet()(request.raw, reply.raw, () => done()));
    direct.get('/ok', async () => ({ ok: true }));

    const expected = (await direct.inject({ url: '/ok' })).headers;
    const wanted = Object.keys(helmetHeaders());
    expect(wanted).toEqual(expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-content-type-options']));
    for (const url of ['/ok', '/boom', '/missing']) {
      const response = await app.inject({ url });
      for (const name of wanted) expect([url, name, response.headers[name]]).toEqual([url, name, expected[name]]);
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
    expect(
      Object.keys(expected).filter(
        (name) => !wanted.includes(name) && !['content-type', 'content-length', 'date', 'connection'].includes(name),
      ),
    ).toEqual([]);
  });

  it('takes helmet options', async () => {
    const headers = helmetHeaders({ referrerPolicy: { policy: 'same-origin' }, strictTransportSecurity: false });
    expect(headers['referrer-policy']).toBe('same-origin');
    expect(headers['strict-transport-security']).toBeUndefined();
  });

  it("refuses options whose headers depend on the request, instead of fixing one request's value", () => {
    let n = 0;
    expect(() => helmetHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", () => `'nonce-${n++}'`] } } })).toThrow(
      /computed per request/,
    );
    // A function that would return the same value for both probes is refused too: it could depend on the request.
    expect(() => helmetHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", () => "'none'"] } } })).toThrow(
      /computed per request/,
    );
  });
});
