import { diag, DiagLogLevel } from '@opentelemetry/api';
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import type { ConfigIssue } from '@tandem/runtime';
import { autoInstrumentationConfig, INSTRUMENTATIONS, selectInstrumentations, type InstrumentationName } from './instrumentations';

const tuning = { untracedPaths: new Set(['/livez']) };

function select(env: Record<string, string>): { enabled: InstrumentationName[]; problems: ConfigIssue[] } {
  const problems: ConfigIssue[] = [];
  return { enabled: [...selectInstrumentations(env, problems)].sort(), problems };
}

/** What getNodeAutoInstrumentations builds for a selection, and the diagnostics it reports; everything built is switched off again. */
function build(enabled: ReadonlySet<InstrumentationName>): { names: string[]; errors: string[] } {
  const errors: string[] = [];
  diag.setLogger(
    {
      error: (m: string) => errors.push(m),
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    DiagLogLevel.ERROR,
  );
  try {
    const instrumentations = getNodeAutoInstrumentations(autoInstrumentationConfig(enabled, tuning));
    for (const i of instrumentations) i.disable();
    return { names: instrumentations.map((i) => i.instrumentationName).sort(), errors };
  } finally {
    diag.disable();
  }
}

describe('instrumentations: the one list, and the standard variables over it', () => {
  it('enables only what Tandem uses by default: http, undici, pino and fastify', () => {
    expect(select({})).toEqual({ enabled: ['fastify', 'http', 'pino', 'undici'], problems: [] });
    expect(build(selectInstrumentations({}, [])).names).toEqual([
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-pino',
      '@opentelemetry/instrumentation-undici',
    ]);
  });

  it('names every instrumentation of the bundle, and none it lacks: with all off, the bundle builds nothing and reports nothing', () => {
    // An instrumentation the bundle gained and the list lacks would fall back to the bundle's
    // own default (on) and be built; a name the list has and the bundle lacks is a diagnostic.
    expect(build(new Set())).toEqual({ names: [], errors: [] });
    expect(Object.keys(INSTRUMENTATIONS)).toHaveLength(42);
  });

  it('OTEL_NODE_ENABLED_INSTRUMENTATIONS replaces the default list, as the standard says', () => {
    const env = { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, DNS,net' };
    expect(select(env)).toEqual({ enabled: ['dns', 'http', 'net'], problems: [] });
    expect(build(selectInstrumentations(env, [])).names).toEqual([
      '@opentelemetry/instrumentation-dns',
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-net',
    ]);
  });

  it('OTEL_NODE_DISABLED_INSTRUMENTATIONS takes names out of whatever is enabled, fastify included', () => {
    expect(select({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino,fastify' }).enabled).toEqual(['http', 'undici']);
    expect(select({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }).enabled).toEqual(['fs']);
    expect(build(selectInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici' }, [])).names).toEqual([
      '@opentelemetry/instrumentation-http',
      '@opentelemetry/instrumentation-pino',
    ]);
  });

  it('an unknown name is a configuration error naming the variable and the name, not a diagnostic nobody reads', () => {
    const { problems } = select({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,expresss', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'nats' });
    expect(problems.map((p) => [p.variable, p.received])).toEqual([
      ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'http,expresss'],
      ['OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'nats'],
    ]);
    expect(problems[0]?.expected).toContain('unknown: expresss');
  });

  it('configures the http instrumentation to leave probes untraced and pino to put trace ids in lines without sending logs', () => {
    const config = autoInstrumentationConfig(new Set(['http', 'pino']), tuning);
    const ignore = config['@opentelemetry/instrumentation-http']?.ignoreIncomingRequestHook;
    expect(ignore?.({ url: '/livez?x=1' } as never)).toBe(true);
    expect(ignore?.({ url: '/orders' } as never)).toBe(false);
    expect(config['@opentelemetry/instrumentation-pino']).toMatchObject({ enabled: true, disableLogSending: true });
    expect(config['@opentelemetry/instrumentation-fs']).toEqual({ enabled: false });
  });
});
