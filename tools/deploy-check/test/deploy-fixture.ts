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
    const count = text.split(edit.from).length - 1;
    if (count !== 1) throw new Error(`fixture edit of ${edit.file}: expected "${edit.from}" once, found it ${count} times`);
    writeFileSync(path, text.replace(edit.from, edit.to));
  }
  return {
    root,
    read: (file) => readFileSync(join(root, file), 'utf8'),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
