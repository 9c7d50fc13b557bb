import { chooseLogFormat, type Terminal } from './log-format';

const terminal = (over: Partial<Terminal> = {}): Terminal => ({ stdoutIsTTY: false, stdinIsTTY: false, env: {}, ...over });

describe('chooseLogFormat: readable lines when a person watches, JSON lines otherwise', () => {
  it('writes JSON when stdout is not a terminal (tests, containers, log shippers, files)', () => {
    expect(chooseLogFormat(undefined, terminal())).toEqual({ format: 'json', colour: false });
    expect(chooseLogFormat(undefined, terminal({ stdinIsTTY: true }))).toEqual({ format: 'json', colour: false });
  });

  it('writes coloured readable lines when stdout is a terminal', () => {
    expect(chooseLogFormat(undefined, terminal({ stdoutIsTTY: true }))).toEqual({ format: 'pretty', colour: true });
  });

  it('writes readable lines under nx serve in a terminal (its executor pipes stdout, leaves stdin the terminal)', () => {
    const nxServe = { NX_FILE_TO_RUN: '/repo/dist/apps/order/main.js' };
    expect(chooseLogFormat(undefined, terminal({ stdinIsTTY: true, env: nxServe }))).toEqual({ format: 'pretty', colour: true });
    expect(chooseLogFormat(undefined, terminal({ stdinIsTTY: false, env: nxServe }))).toEqual({ format: 'json', colour: false });
  });

  it('lets LOG_FORMAT decide either way', () => {
    expect(chooseLogFormat('json', terminal({ stdoutIsTTY: true })).format).toBe('json');
    expect(chooseLogFormat('pretty', terminal()).format).toBe('pretty');
  });

  it('colours as the terminal says, unless NO_COLOR or FORCE_COLOR decide', () => {
    expect(chooseLogFormat('pretty', terminal()).colour).toBe(false);
    expect(chooseLogFormat('pretty', terminal({ env: { FORCE_COLOR: '1' } })).colour).toBe(true);
    expect(chooseLogFormat('pretty', terminal({ stdoutIsTTY: true, env: { FORCE_COLOR: '0' } })).colour).toBe(false);
    expect(chooseLogFormat('pretty', terminal({ stdoutIsTTY: true, env: { NO_COLOR: '1' } })).colour).toBe(false);
    expect(chooseLogFormat('json', terminal({ stdoutIsTTY: true, env: { FORCE_COLOR: '1' } })).colour).toBe(false);
  });
});
