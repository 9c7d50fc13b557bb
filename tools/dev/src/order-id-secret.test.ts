import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localOrderIdSecret } from './order-id-secret';

describe('the local ORDER_ID_SECRET of npm start', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-secret-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once into the data directory (owner-only) and kept across starts', () => {
    const dir = dataDir();
    const first = localOrderIdSecret(dir, {});
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'order-id-secret')).mode & 0o777).toBe(0o600);
    expect(localOrderIdSecret(dir, {})).toBe(first);
    expect(readFileSync(join(dir, 'order-id-secret'), 'utf8').trim()).toBe(first);
    expect(localOrderIdSecret(dataDir(), {})).not.toBe(first);
  });

  it("uses the caller's ORDER_ID_SECRET when set, writing nothing", () => {
    const dir = dataDir();
    expect(localOrderIdSecret(dir, { ORDER_ID_SECRET: 'mine-mine-mine-mine-mine-mine-mine-mine' })).toBe(
      'mine-mine-mine-mine-mine-mine-mine-mine',
    );
    expect(() => statSync(join(dir, 'order-id-secret'))).toThrow();
  });
});
