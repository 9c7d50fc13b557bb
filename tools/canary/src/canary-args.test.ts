import { parseCanaryArgs } from './canary-args';
import { UsageError } from './canary-errors';

function refusal(argv: string[]): UsageError {
  try {
    parseCanaryArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe('canary arguments', () => {
  it('parses each command', () => {
    expect(parseCanaryArgs(['status'])).toEqual({ help: false, command: { kind: 'status' }, apply: false });
    expect(parseCanaryArgs(['set', '30'])).toEqual({ help: false, command: { kind: 'set', v2: 30 }, apply: false });
    expect(parseCanaryArgs(['promote'])).toEqual({ help: false, command: { kind: 'promote' }, apply: false });
    expect(parseCanaryArgs(['abort'])).toEqual({ help: false, command: { kind: 'abort' }, apply: false });
  });

  it('accepts the ends of the range, 0 and 100', () => {
    expect(parseCanaryArgs(['set', '0'])).toMatchObject({ command: { kind: 'set', v2: 0 } });
    expect(parseCanaryArgs(['set', '100'])).toMatchObject({ command: { kind: 'set', v2: 100 } });
  });

  it('takes --file and --destination-rule with a separate or an inline value, and --apply, in any position', () => {
    expect(parseCanaryArgs(['--file', 'a.yaml', 'set', '5', '--apply', '--destination-rule=b.yaml'])).toEqual({
      help: false,
      command: { kind: 'set', v2: 5 },
      apply: true,
      file: 'a.yaml',
      destinationRule: 'b.yaml',
    });
  });

  it('answers --help and -h whatever else is there', () => {
    expect(parseCanaryArgs(['--help'])).toEqual({ help: true });
    expect(parseCanaryArgs(['set', '500', '-h'])).toEqual({ help: true });
  });

  it.each([
    [['set', '150'], 'set expects the v2 percentage as an integer 0..100, got "150"'],
    [['set', '-1'], 'set expects the v2 percentage as an integer 0..100, got "-1"'],
    [['set', 'abc'], 'set expects the v2 percentage as an integer 0..100, got "abc"'],
    [['set', '10.5'], 'set expects the v2 percentage as an integer 0..100, got "10.5"'],
    [['set', '1e1'], 'set expects the v2 percentage as an integer 0..100, got "1e1"'],
    [['set', ''], 'set expects the v2 percentage as an integer 0..100, got ""'],
    [['set'], 'set expects the v2 percentage, an integer 0..100 (e.g. set 30)'],
    [['set', '10', '20'], 'set takes one argument, got also "20"'],
    [['status', 'now'], 'status takes no arguments, got "now"'],
    [[], 'missing command: status, set <v2-percent>, promote or abort'],
    [['rollback'], 'unknown command "rollback": expected status, set <v2-percent>, promote or abort'],
    [['status', '--force'], 'unknown option "--force"'],
    [['status', '-x'], 'unknown option "-x"'],
    [['status', '--file'], '--file expects a path'],
    [['status', '--file', '--apply'], '--file expects a path'],
    [['status', '--file=a', '--file=b'], '--file given twice'],
    [['status', '--apply'], '--apply goes with set, promote or abort; status only reads'],
  ])('refuses %j: %s', (argv, message) => {
    const error = refusal(argv);
    expect(error.message).toBe(message);
    expect(error.code).toBe('CANARY_ERR_USAGE');
    expect(error.exitCode).toBe(2);
  });
});
