import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'canary-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('replaces the content through a new inode and leaves no temporary file behind', async () => {
    const file = join(dir, 'vs.yaml');
    await writeFile(file, 'old\n');
    const before = await stat(file);
    await writeFileAtomic(file, 'new\n');
    expect(await readFile(file, 'utf8')).toBe('new\n');
    // A rename, not an in-place write: readers holding the old file never see a half-written one.
    expect((await stat(file)).ino).not.toBe(before.ino);
    expect(await readdir(dir)).toEqual(['vs.yaml']);
  });

  it('keeps the permission bits of the original', async () => {
    const file = join(dir, 'vs.yaml');
    await writeFile(file, 'old\n');
    await chmod(file, 0o640);
    await writeFileAtomic(file, 'new\n');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
  });

  it('writes through a symbolic link, keeping the link', async () => {
    const target = join(dir, 'real.yaml');
    const link = join(dir, 'link.yaml');
    await writeFile(target, 'old\n');
    await symlink(target, link);
    await writeFileAtomic(link, 'new\n');
    expect(await readFile(target, 'utf8')).toBe('new\n');
    expect((await readdir(dir)).sort()).toEqual(['link.yaml', 'real.yaml']);
  });

  it('fails on a missing file without creating it', async () => {
    await expect(writeFileAtomic(join(dir, 'missing.yaml'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});
