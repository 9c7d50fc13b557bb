import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNatsUsers, passwordVariable, writeUserEnvFiles } from './nats-users';

describe('npm start NATS users', () => {
  it('gives every user of deploy/nats/local.conf its own fresh password, inbox and server variable', () => {
    const a = generateNatsUsers();
    const b = generateNatsUsers();
    expect(Object.keys(a.serverEnv).sort()).toEqual(['NATS_ADMIN_PASS', 'NATS_ALL_IN_ONE_PASS', 'NATS_CONSUMER_PASS', 'NATS_ORDER_PASS']);
    expect(a.users.order).toEqual({ NATS_USER: 'order', NATS_PASS: a.serverEnv['NATS_ORDER_PASS'], NATS_INBOX_PREFIX: '_INBOX.order' });
    expect(a.users['all-in-one'].NATS_INBOX_PREFIX).toBe('_INBOX.all-in-one');
    expect(a.users.admin).toEqual({ NATS_USER: 'admin', NATS_PASS: a.serverEnv['NATS_ADMIN_PASS'], NATS_INBOX_PREFIX: '_INBOX.admin' });
    expect(new Set(Object.values(a.serverEnv)).size).toBe(4);
    expect(a.users.order.NATS_PASS).not.toBe(b.users.order.NATS_PASS);
    expect(passwordVariable('all-in-one')).toBe('NATS_ALL_IN_ONE_PASS');
  });

  it('makes passwords nats-server reads back as strings: a letter first, then hex, even from all-zero random bytes', () => {
    const users = generateNatsUsers((n) => Buffer.alloc(n, 0));
    for (const pass of Object.values(users.serverEnv)) expect(pass).toMatch(/^p[0-9a-f]{48}$/);
  });

  it('writes one env file per user, readable by the owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-users-'));
    try {
      const { users } = generateNatsUsers();
      writeUserEnvFiles(join(dir, 'users'), 'nats://127.0.0.1:4222', users);
      const file = join(dir, 'users', 'consumer.env');
      expect(readFileSync(file, 'utf8')).toContain(
        `NATS_USER=consumer\nNATS_PASS=${users.consumer.NATS_PASS}\nNATS_INBOX_PREFIX=_INBOX.consumer\n`,
      );
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'users')).mode & 0o777).toBe(0o700);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
