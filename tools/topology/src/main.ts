import { ConfigError } from '@tandem/runtime';
import { loadTopologySettings, parseTopologyArgs, runTopology, USAGE } from './topology-cli';

/** `npm run nats:topology`: see USAGE. */
async function main(): Promise<number> {
  const parsed = parseTopologyArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`nats:topology: ${parsed.error}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.value.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let settings;
  try {
    settings = loadTopologySettings(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`nats:topology: ${error.message}\n`);
    return 2;
  }
  return runTopology(settings, parsed.value, (line) => process.stdout.write(`${line}\n`));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nats:topology: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
