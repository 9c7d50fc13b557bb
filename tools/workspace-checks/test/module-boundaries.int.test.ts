import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '@tandem/testing';

interface LintMessage {
  ruleId: string | null;
  message: string;
}

/** Lints `code` as if it were the file at `filePath` (which need not exist), with the real workspace config. */
function lint(filePath: string, code: string): LintMessage[] {
  const root = workspaceRoot();
  let stdout: string;
  try {
    stdout = execFileSync(join(root, 'node_modules/.bin/eslint'), ['--format', 'json', '--stdin', '--stdin-filename', filePath], {
      cwd: root,
      input: code,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    });
  } catch (error) {
    // eslint exits 1 when it finds errors; the report is still on stdout
    stdout = (error as { stdout: string }).stdout;
  }
  return (JSON.parse(stdout) as Array<{ messages: LintMessage[] }>)[0]?.messages ?? [];
}

const rule = '@nx/enforce-module-boundaries';

describe('dependency rules are enforced by lint, not hoped for', () => {
  it('the domain may not import platform libs', () => {
    const messages = lint('libs/orders/src/fixture.ts', "import { Supervisor } from '@tandem/runtime';\nexport const x = Supervisor;\n");
    expect(messages).toEqual([
      expect.objectContaining({
        ruleId: rule,
        message: expect.stringContaining('"type:domain" can only depend on libs tagged with "type:domain", "type:contracts"'),
      }),
    ]);
  });

  it('messaging is generic and may not import the contracts', () => {
    const messages = lint('libs/messaging/src/fixture.ts', "import { Subjects } from '@tandem/contracts';\nexport const x = Subjects;\n");
    expect(messages.map((m) => m.ruleId)).toEqual([rule]);
  });

  it('app source may not import the testing lib, but app tests may', () => {
    const code = "import { waitFor } from '@tandem/testing';\nexport const x = waitFor;\n";
    expect(lint('apps/order/src/main.ts', code).map((m) => m.ruleId)).toEqual([rule]);
    expect(lint('apps/order/test/fixture.int.test.ts', code)).toEqual([]);
  });

  it('allowed imports pass: an app starting its service lib under the runtime', () => {
    const code =
      "import { orderService } from '@tandem/order-service';\nimport { Supervisor } from '@tandem/runtime';\nexport const x = [orderService, Supervisor];\n";
    expect(lint('apps/order/src/main.ts', code)).toEqual([]);
  });

  it('platform libs import only the platform libs their job needs (scope:*)', () => {
    const messaging = "import { Publisher } from '@tandem/messaging';\nexport const x = Publisher;\n";
    expect(lint('libs/http/src/fixture.ts', messaging)).toContainEqual(
      expect.objectContaining({
        ruleId: rule,
        message: expect.stringContaining('"scope:http" can only depend on libs tagged with "scope:runtime"'),
      }),
    );
    expect(lint('libs/telemetry/src/fixture.ts', messaging)).toContainEqual(
      expect.objectContaining({ ruleId: rule, message: expect.stringContaining('"scope:telemetry" can only depend on libs tagged with') }),
    );
    const http = "import { healthPlugin } from '@tandem/http';\nexport const x = healthPlugin;\n";
    expect(lint('libs/messaging/src/fixture.ts', http)).toContainEqual(expect.objectContaining({ ruleId: rule }));
  });

  it('no app imports another app, the all-in-one composition included', () => {
    const code = "import { run } from '@tandem/order';\nexport const x = run;\n";
    for (const file of ['apps/gateway/src/fixture.ts', 'apps/all-in-one/src/fixture.ts', 'apps/order/test/fixture.int.test.ts']) {
      expect(lint(file, code)).toContainEqual(
        expect.objectContaining({ ruleId: 'no-restricted-imports', message: expect.stringContaining('No app imports an app') }),
      );
    }
  });

  it('the service apps hold their entry points only: any other source file is an error', () => {
    const code = 'export const helper = 1;\n';
    for (const app of ['gateway', 'order', 'consumer']) {
      expect(lint(`apps/${app}/src/helper.ts`, code)).toContainEqual(
        expect.objectContaining({
          ruleId: 'no-restricted-syntax',
          message: expect.stringContaining('An app holds only main.ts and instrument.ts'),
        }),
      );
      expect(lint(`apps/${app}/src/main.ts`, `${'// filler\n'.repeat(45)}export {};\n`)).toContainEqual(
        expect.objectContaining({ ruleId: 'max-lines' }),
      );
    }
  });

  it('apps start service libs; a service lib may not import another service', () => {
    const code = "import { composeOrder } from '@tandem/order-service';\nexport const x = composeOrder;\n";
    expect(lint('apps/all-in-one/src/fixture.ts', code)).toEqual([]);
    expect(lint('libs/gateway-service/src/fixture.ts', code).map((m) => m.ruleId)).toEqual([rule]);
  });

  it('libraries may not exit the process or read the environment', () => {
    const messages = lint(
      'libs/messaging/src/fixture.ts',
      'export const url = process.env.NATS_URL;\nexport function die(): void {\n  process.exit(1);\n}\n',
    );
    expect(messages.map((m) => `${m.ruleId}: ${m.message}`)).toEqual([
      "no-restricted-properties: 'process.env' is restricted from being used. Libraries take configuration as arguments; apps parse the environment.",
      "no-restricted-properties: 'process.exit' is restricted from being used. Only the process edge (runMain) exits.",
    ]);
  });
});
