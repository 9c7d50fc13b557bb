import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCanary } from '../src/run-canary';

/**
 * What the canary writes must still be a valid mesh: after each command, the built
 * deploy:check CLI (a separate tool, so run as a process) passes the edited copy of deploy/.
 */
const REPO = join(__dirname, '..', '..', '..');
const DEPLOY_CHECK = join(REPO, 'dist/tools/deploy-check/main.js');
const VS = 'deploy/istio/order-virtualservice.yaml';

let root: string;
beforeAll(() => {
  if (!existsSync(DEPLOY_CHECK)) throw new Error(`${DEPLOY_CHECK} is missing: build it first (npm test builds everything)`);
});
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'canary-deploy-check-'));
  await cp(join(REPO, 'deploy'), join(root, 'deploy'), { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const quiet = { write: () => true };

it.each([[['set', '35']], [['promote']], [['abort']], [['set', '0']]])('after canary %j the manifests pass deploy:check', async (argv) => {
  const before = await readFile(join(root, VS), 'utf8');
  expect(await runCanary(argv, { cwd: root, env: {}, stdout: quiet, stderr: quiet })).toBe(0);
  expect(await readFile(join(root, VS), 'utf8')).not.toBe(before);
  const check = spawnSync(process.execPath, [DEPLOY_CHECK, '--root', root], { encoding: 'utf8' });
  expect(check.stdout).toContain('deploy:check: no findings');
  expect(check.status).toBe(0);
});
