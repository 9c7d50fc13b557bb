import { readFileSync } from 'node:fs';

/** One instruction of a Dockerfile, continuation lines joined, comments dropped. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string | undefined;
  /** The FROM argument as written (variables not expanded). */
  readonly from: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults (undefined when none). */
  readonly globalArgs: ReadonlyMap<string, string | undefined>;
  readonly stages: readonly Stage[];
  readonly all: readonly Instruction[];
}

/**
 * A small Dockerfile reader for tests: enough of the syntax (comments, `\` continuations,
 * stages, global ARGs) to check what a Dockerfile says without a Docker engine.
 */
export function parseDockerfile(path: string): Dockerfile {
  const lines = readFileSync(path, 'utf8').split('\n');
  const all: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && !pending)) return;
    const continued = trimmed.endsWith('\\');
    const text = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending ? { text: `${pending.text} ${text}`, line: pending.line } : { text, line: index + 1 };
    if (!continued) {
      const [keyword = '', ...rest] = pending.text.split(/\s+/);
      all.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: pending.line });
      pending = undefined;
    }
  });

  const globalArgs = new Map<string, string | undefined>();
  const stages: Array<{ name: string | undefined; from: string; instructions: Instruction[] }> = [];
  for (const instruction of all) {
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(/\s+/);
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value] = instruction.args.split('=', 2);
      globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { globalArgs, stages, all };
}

/** Expands `${NAME}` / `$NAME` with the given values; unknown names become ''. */
export function expand(text: string, values: ReadonlyMap<string, string | undefined>): string {
  return text.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, braced: string | undefined, bare: string | undefined) => values.get(braced ?? bare ?? '') ?? '',
  );
}

export function stageNamed(dockerfile: Dockerfile, name: string): Stage {
  const stage = dockerfile.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage named ${name}`);
  return stage;
}
