import type { KeywordDefinition, SchemaValidateFunction } from 'ajv';
import type { Environment } from '@marcbachmann/cel-js';
import { isRecord } from '../model';

/** A CEL environment with what Kubernetes gives CRD validation rules beyond standard CEL. */
export type CelEnvironment = Environment;

/** One entry of a schema's `x-kubernetes-validations`. */
interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly optionalOldSelf?: boolean;
}

/** A URL as Go's url.Parse splits it, which Kubernetes' CEL URL library is built on. */
class KubernetesURL {
  constructor(
    readonly scheme: string,
    readonly host: string,
    readonly path: string,
  ) {}

  get hostname(): string {
    const host = this.host;
    if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
    const colon = host.lastIndexOf(':');
    return colon === -1 ? host : host.slice(0, colon);
  }

  get port(): string {
    const match = /:(\d*)$/.exec(this.host.startsWith('[') ? this.host.slice(this.host.indexOf(']')) : this.host);
    return match?.[1] ?? '';
  }
}

/**
 * The environment the API server evaluates `x-kubernetes-validations` in: standard CEL
 * (@marcbachmann/cel-js has the strings extension and durations) plus the parts of
 * Kubernetes' URL library that Istio's rules use. `self` is the value at the rule's node.
 */
export async function createCelEnvironment(): Promise<CelEnvironment> {
  const { Environment } = await import('@marcbachmann/cel-js');
  return new Environment()
    .registerVariable('self', 'dyn')
    .registerType('URL', KubernetesURL)
    .registerFunction('url(string): URL', (value: string) => parseUrl(value))
    .registerFunction('isURL(string): bool', (value: string) => {
      try {
        parseUrl(value);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction('URL.getScheme(): string', (value: KubernetesURL) => value.scheme)
    .registerFunction('URL.getHost(): string', (value: KubernetesURL) => value.host)
    .registerFunction('URL.getHostname(): string', (value: KubernetesURL) => value.hostname)
    .registerFunction('URL.getPort(): string', (value: KubernetesURL) => value.port)
    .registerFunction('URL.getEscapedPath(): string', (value: KubernetesURL) => value.path);
}

const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):(?:\/\/(?:[^/?#@]*@)?([^/?#]*))?([^?#]*)(?:\?[^#]*)?(?:#.*)?$/;

/**
 * Kubernetes' `url()`: an absolute URI or an absolute path (Go's url.ParseRequestURI), split
 * as Go splits it (no port range check, no default ports).
 */
export function parseUrl(value: string): KubernetesURL {
  if (value.startsWith('/')) return new KubernetesURL('', '', value.split(/[?#]/)[0] ?? '');
  const match = ABSOLUTE_URI.exec(value);
  if (!match) throw new Error(`URL parse error: ${JSON.stringify(value)} is not an absolute URI or an absolute path`);
  return new KubernetesURL(match[1] ?? '', match[2] ?? '', match[3] ?? '');
}

/** Whether a rule compares with the old object: such a rule applies only to an update. */
function isTransitionRule(rule: ValidationRule): boolean {
  return /\boldSelf\b/.test(rule.rule);
}

/**
 * The ajv keyword that evaluates a schema node's CEL rules on the value there. A rule
 * that is false fails with its `message` (or the rule itself); one that cannot be
 * evaluated on the value (an invalid duration string, say) fails with the reason.
 */
export function celRules(environment: CelEnvironment): KeywordDefinition {
  return {
    keyword: 'x-kubernetes-validations',
    schemaType: 'array',
    errors: true,
    compile(rules: ValidationRule[], parentSchema) {
      const programs = rules
        .filter((rule) => !isTransitionRule(rule))
        .map((rule) => {
          // A function the environment lacks would otherwise surface only where a manifest sets the field.
          const checked = environment.check(rule.rule);
          if (!checked.valid)
            throw new Error(`CEL rule ${JSON.stringify(rule.rule)} does not type-check: ${checked.error?.message ?? 'unknown error'}`);
          return { rule, program: environment.parse(rule.rule) };
        });
      const validate: SchemaValidateFunction = (data: unknown) => {
        // As the API server: rules run on values of their node's type; a type error is reported once, by the schema.
        if (!hasDeclaredType(data, parentSchema)) return true;
        const value = toCel(data, parentSchema);
        const errors = [];
        for (const { rule, program } of programs) {
          let outcome: unknown;
          try {
            outcome = program({ self: value });
          } catch (error) {
            const reason = (error as Error).message.split('\n')[0] ?? '';
            errors.push(celError(rule, `rule ${JSON.stringify(rule.rule)} cannot be evaluated here: ${reason}`));
            continue;
          }
          if (outcome !== true) errors.push(celError(rule, rule.message ?? `failed rule: ${rule.rule}`));
        }
        validate.errors = errors;
        return errors.length === 0;
      };
      return validate;
    },
  };
}

function hasDeclaredType(data: unknown, schema: unknown): boolean {
  const type = isRecord(schema) ? schema['type'] : undefined;
  switch (type) {
    case 'object':
      return isRecord(data);
    case 'array':
      return Array.isArray(data);
    case 'string':
      return typeof data === 'string';
    case 'integer':
      return Number.isInteger(data);
    case 'number':
      return typeof data === 'number';
    case 'boolean':
      return typeof data === 'boolean';
    default:
      return true;
  }
}

function celError(rule: ValidationRule, message: string): { keyword: string; message: string; params: Record<string, unknown> } {
  return {
    keyword: 'x-kubernetes-validations',
    message,
    params: { rule: rule.rule, ...(rule.fieldPath ? { fieldPath: rule.fieldPath } : {}) },
  };
}

/**
 * A YAML value as the API server hands it to CEL: whole numbers are CEL ints (BigInt in
 * cel-js) except where the schema says `number`, which is a double.
 */
export function toCel(value: unknown, schema: unknown): unknown {
  const node = isRecord(schema) ? schema : {};
  if (typeof value === 'number') return Number.isInteger(value) && node['type'] !== 'number' ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((item) => toCel(item, node['items']));
  if (isRecord(value)) {
    const properties = isRecord(node['properties']) ? node['properties'] : {};
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, toCel(item, properties[key] ?? node['additionalProperties'])]),
    );
  }
  return value;
}
