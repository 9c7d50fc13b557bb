import Type, { type Static, type TObject, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { ConfigError, type ConfigIssue } from './errors';

/**
 * Parses environment variables against a TypeBox object schema: fills defaults, converts
 * strings to numbers and booleans, and reports every invalid variable at once with the
 * form it expects (each property's `description`). An empty string counts as unset.
 * Returns a frozen object; throws {@link ConfigError}.
 */
export function parseEnv<T extends TObject>(schema: T, env: Readonly<Record<string, string | undefined>>): Readonly<Static<T>> {
  const properties = schema.properties as Record<string, TSchema & EnvFieldOptions & { description?: string }>;
  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(properties)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const issues = new Map<string, ConfigIssue>();
  // Convert would truncate "1.5" to 1 for an integer: insist on digits before converting.
  for (const [name, value] of Object.entries(raw)) {
    const field = properties[name];
    if (field && (field as { type?: unknown }).type === 'integer' && !/^[+-]?\d+$/.test(String(value).trim())) {
      issues.set(name, {
        variable: name,
        expected: field.description ?? 'an integer',
        received: field.secret ? '<redacted>' : String(value),
      });
    }
  }
  const withDefaults = Value.Default(schema, raw) as Record<string, unknown>;
  const converted = Value.Convert(schema, withDefaults) as Record<string, unknown>;
  for (const error of Value.Errors(schema, converted)) {
    const variable =
      error.instancePath.split('/')[1] ??
      (error.keyword === 'required' ? String((error.params as { requiredProperties?: string[] }).requiredProperties?.[0]) : '');
    const field = properties[variable];
    if (!field || issues.has(variable)) continue;
    const received = raw[variable];
    issues.set(variable, {
      variable,
      expected: field.description ?? 'a valid value',
      ...(received === undefined ? {} : { received: field.secret ? '<redacted>' : String(received) }),
    });
  }
  if (issues.size > 0) throw new ConfigError([...issues.values()]);
  return Object.freeze(converted) as Readonly<Static<T>>;
}

/** Extra schema options understood by {@link parseEnv}. */
export interface EnvFieldOptions {
  /** Never echo the received value in errors. */
  readonly secret?: boolean;
}

/** Schema builders for the variables every Tandem service reads (SPEC §2). */
export const Env = {
  port: (defaultPort: number) =>
    Type.Integer({ minimum: 1, maximum: 65535, default: defaultPort, description: 'an integer port 1..65535' }),
  host: (defaultHost = '0.0.0.0') =>
    Type.String({
      minLength: 1,
      pattern: '^[A-Za-z0-9.:\\-\\[\\]]+$',
      default: defaultHost,
      description: 'an IP address or host name to listen on, e.g. 0.0.0.0 or 127.0.0.1',
    }),
  milliseconds: (defaultMs: number, max = 3_600_000) =>
    Type.Integer({
      minimum: 0,
      maximum: max,
      default: defaultMs,
      description: `a whole number of milliseconds 0..${max}`,
    }),
  integer: (defaultValue: number, minimum: number, maximum: number) =>
    Type.Integer({ minimum, maximum, default: defaultValue, description: `an integer ${minimum}..${maximum}` }),
  logLevel: (defaultLevel = 'info') =>
    Type.String({
      pattern: '^(fatal|error|warn|info|debug|trace|silent)$',
      default: defaultLevel,
      description: 'one of fatal, error, warn, info, debug, trace, silent',
    }),
  logFormat: () =>
    Type.Optional(
      Type.String({
        pattern: '^(json|pretty)$',
        description: 'json (one JSON object per line) or pretty (readable lines); unset: pretty when a terminal watches, json otherwise',
      }),
    ),
  version: (defaultVersion = 'v1') =>
    Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
      default: defaultVersion,
      description: 'a version label of letters, digits, ".", "_" or "-" (e.g. v1), at most 63 characters',
    }),
  httpUrl: (defaultUrl: string) =>
    Type.String({
      pattern: '^https?://[^\\s/]+(/\\S*)?$',
      default: defaultUrl,
      description: 'an http:// or https:// URL, e.g. http://127.0.0.1:3001',
    }),
  optionalString: (description: string, options: EnvFieldOptions = {}) =>
    Type.Optional(Type.String({ minLength: 1, description, ...options })),
} as const;
