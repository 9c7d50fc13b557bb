import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (tools/deploy-check/test → ../../..). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/** One text edit of a file under deploy/: `from` must occur exactly once, so a fixture cannot silently stop breaking anything. */
export interface Edit {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  /** A text found once in the file: the edit is to the first `from` after it (one of two Deployments in a file). */
  readonly after?: string;
}

/** A temporary copy of the repository's deploy/ with edits applied and files added; `dispose()` removes it. */
export function deployCopy(
  edits: readonly Edit[] = [],
  added: Readonly<Record<string, string>> = {},
): { root: string; read(file: string): string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'deploy-check-'));
  cpSync(join(REPO_ROOT, 'deploy'), join(root, 'deploy'), { recursive: true });
  for (const [file, text] of Object.entries(added)) writeFileSync(join(root, file), text);
  for (const edit of edits) {
    const path = join(root, edit.file);
    const text = readFileSync(path, 'utf8');
    // `after`: a text found once in the file; the edit is to the first `from` past it (the second
    // of two Deployments in one file).
    const start = edit.after === undefined ? 0 : text.indexOf(edit.after);
    if (edit.after !== undefined && (start < 0 || text.split(edit.after).length !== 2))
      throw new Error(`fixture edit of ${edit.file}: expected "${edit.after}" once`);
    const tail = text.slice(start);
    const count = edit.after === undefined ? tail.split(edit.from).length - 1 : tail.includes(edit.from) ? 1 : 0;
    if (count !== 1) throw new Error(`fixture edit of ${edit.file}: expected "${edit.from}" once, found it ${count} times`);
    writeFileSync(path, text.slice(0, start) + tail.replace(edit.from, edit.to));
  }
  return {
    root,
    read: (file) => readFileSync(join(root, file), 'utf8'),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
