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

class KubernetesURL {
  constructor(readonly url: URL) {}
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
    .registerFunction('url(string): URL', (value: string) => new KubernetesURL(parseUrl(value)))
    .registerFunction('isURL(string): bool', (value: string) => {
      try {
        parseUrl(value);
        return true;
      } catch {
        return false;
      }
    })
    .registerFunction('URL.getScheme(): string', (value: KubernetesURL) => value.url.protocol.replace(/:$/, ''))
    .registerFunction('URL.getHost(): string', (value: KubernetesURL) => value.url.host)
    .registerFunction('URL.getHostname(): string', (value: KubernetesURL) => value.url.hostname.replace(/^\[|\]$/g, ''))
    .registerFunction('URL.getPort(): string', (value: KubernetesURL) => value.url.port)
    .registerFunction('URL.getEscapedPath(): string', (value: KubernetesURL) => value.url.pathname);
}

/** Kubernetes' `url()` takes an absolute URI or an absolute path. */
function parseUrl(value: string): URL {
  if (value.startsWith('/')) return new URL(value, 'relative:///');
  return new URL(value);
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
        const value = toCel(data, parentSchema);
        const errors = [];
        for (const { rule, program } of programs) {
          let outcome: unknown;
          try {
            outcome = program({ self: value });
          } catch (error) {
            errors.push(celError(rule, `rule ${JSON.stringify(rule.rule)} cannot be evaluated here: ${(error as Error).message}`));
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
