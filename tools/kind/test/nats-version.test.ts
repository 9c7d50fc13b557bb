import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsServerBinary, workspaceRoot } from '@tandem/testing';

/** SPEC §4: the same nats-server minor in the tests, `npm start` and deploy/. */
describe('one nats-server release line everywhere', () => {
  const root = workspaceRoot();
  const line = /^TANDEM_NATS_LINE="(\d+\.\d+)"$/m.exec(readFileSync(join(root, 'tools/scripts/ensure-nats.sh'), 'utf8'))?.[1];

  it('the cluster runs the line that npm test and npm start provision (tools/scripts/ensure-nats.sh)', () => {
    expect(line).toMatch(/^\d+\.\d+$/);
    const manifest = readFileSync(join(root, 'deploy/k8s/base/nats.yaml'), 'utf8');
    const images = [...manifest.matchAll(/image: nats:(\d+\.\d+)\.\d+/g)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images)).toEqual(new Set([line]));
    expect([...manifest.matchAll(/version: v(\d+\.\d+)$/gm)].map((m) => m[1])).toEqual([line, line]);
  });

  it('the tests run that line (npm test sets NATS_SERVER_BIN from ensure-nats.sh)', () => {
    const version = execFileSync(natsServerBinary(), ['--version'], { encoding: 'utf8' });
    expect(version).toMatch(new RegExp(`^nats-server: v${(line ?? '').replace('.', '\\.')}\\.\\d+`));
  });
});
