import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The ORDER_ID_SECRET `npm start` gives the order service (docs/decisions/0012): the caller's
 * own when ORDER_ID_SECRET is set, else one generated once into `<dataDir>/order-id-secret`
 * (mode 0600) and kept, so that an Idempotency-Key names the same order across restarts, as
 * the stored orders in `<dataDir>` expect.
 */
export function localOrderIdSecret(dataDir: string, env: Readonly<Record<string, string | undefined>>): string {
  const given = env['ORDER_ID_SECRET'];
  if (given) return given;
  const file = join(dataDir, 'order-id-secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept !== '') return kept;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
