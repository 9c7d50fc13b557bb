import { parseArgs } from 'node:util';
import { formatFinding, runDeployCheck } from './deploy-check';
import { RULES } from './rules';
import { VENDORED_RELEASES } from './schema-validation';

const SCHEMAS = `the ${VENDORED_RELEASES} schemas`;

const USAGE = `Usage: npm run deploy:check [-- --root <repo>] [--renderer auto|kubectl|built-in]

Checks every manifest under deploy/ before it reaches a cluster: YAML syntax, every
top-level kustomization rendered (kubectl kustomize when kubectl is installed, else the
built-in renderer), every object against ${SCHEMAS} as strictly as kubectl apply
(unknown fields fail; Istio's CEL rules are evaluated), and these rules on each render:
${RULES.map((rule) => `  ${rule.name.padEnd(20)} ${rule.description}`).join('\n')}

Exit codes: 0 no findings, 1 findings, 2 usage error.`;

async function main(argv: readonly string[]): Promise<number> {
  let values: { root?: string; renderer?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { root: { type: 'string' }, renderer: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`deploy:check: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const renderer = values.renderer ?? 'auto';
  if (renderer !== 'auto' && renderer !== 'kubectl' && renderer !== 'built-in') {
    process.stderr.write(`deploy:check: --renderer must be auto, kubectl or built-in, not "${renderer}"\n`);
    return 2;
  }
  const root = values.root ?? process.cwd();
  let result;
  try {
    result = await runDeployCheck({ root, renderer });
  } catch (error) {
    process.stderr.write(`deploy:check: ${(error as Error).message}\n`);
    return 2;
  }
  for (const summary of result.renders) {
    process.stdout.write(
      `rendered ${summary.kustomization}: ${summary.objects} objects${summary.renderer ? ` (${summary.renderer})` : ''}\n`,
    );
  }
  process.stdout.write(
    `checked ${result.files} files, ${result.schemaChecked} objects against ${SCHEMAS} (strict, with CEL rules), ${RULES.length} rules per render\n`,
  );
  for (const finding of result.findings) process.stdout.write(`${formatFinding(finding)}\n`);
  if (result.findings.length === 0) {
    process.stdout.write('deploy:check: no findings\n');
    return 0;
  }
  process.stdout.write(`deploy:check: ${result.findings.length} finding(s)\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`deploy:check: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
