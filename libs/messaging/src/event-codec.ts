import type { Static, TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';

/** An event type: where it is published and what its body looks like. Messaging never imports the contracts; callers pass these in. */
export interface EventType<S extends TSchema = TSchema> {
  readonly subject: string;
  readonly schema: S;
}

/** Encodes and validates bodies of one event type (schema compiled once). */
export class EventCodec<S extends TSchema> {
  private readonly validator: Validator<Record<string, never>, S>;

  constructor(readonly type: EventType<S>) {
    this.validator = Compile(type.schema);
  }

  /** Problems with `value` against the schema, as `path: message` lines; empty when valid. */
  problems(value: unknown): string[] {
    if (this.validator.Check(value)) return [];
    return this.validator.Errors(value).map((e) => `${e.instancePath || '/'}: ${e.message}`);
  }

  encode(value: Static<S>): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(value));
  }

  /** Parses and validates a message body; `undefined` with problems when it is not valid JSON of the schema. */
  decode(data: Uint8Array): { value: Static<S>; problems: [] } | { value: undefined; problems: string[] } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
    } catch (error) {
      return { value: undefined, problems: [`body is not UTF-8 JSON: ${(error as Error).message}`] };
    }
    const problems = this.problems(parsed);
    return problems.length === 0 ? { value: parsed as Static<S>, problems: [] } : { value: undefined, problems };
  }
}
