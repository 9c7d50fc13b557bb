import { runCanary } from './run-canary';

/**
 * `npm run canary -- …` (tools/scripts/run-tool.sh runs this from the repository root):
 * the process edge around runCanary, which prints and returns the exit code.
 */
runCanary(process.argv.slice(2), { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`canary: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
