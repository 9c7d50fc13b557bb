/** How log records are written: JSON lines (machines) or one readable line each (people). */
export type LogFormat = 'json' | 'pretty';

/** What decides the format when LOG_FORMAT does not: who is looking at the output. */
export interface Terminal {
  readonly stdoutIsTTY: boolean;
  readonly stdinIsTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The process's own terminal. Reads the environment, which libraries otherwise leave to the
 * apps' config: these are not settings but the terminal's conventions (`NO_COLOR`,
 * `FORCE_COLOR`) and nx serve's marker (`NX_FILE_TO_RUN`); `LOG_FORMAT`, the setting, comes
 * from the app's config.
 */
export function currentTerminal(): Terminal {
  // eslint-disable-next-line no-restricted-properties
  const env = process.env;
  return { stdoutIsTTY: process.stdout.isTTY === true, stdinIsTTY: process.stdin.isTTY === true, env };
}

/**
 * The format and whether to colour it. `LOG_FORMAT` (`setting`) wins; without it the output
 * is pretty when a person is watching: stdout is a terminal, or the process runs under
 * `nx serve` (the @nx/js:node executor pipes the app's stdout to the terminal and leaves it
 * stdin, so a terminal on stdin means one is watching). Everything else — tests, containers,
 * log shippers, `npm test` — gets JSON lines. Colour follows the terminal, `NO_COLOR` and
 * `FORCE_COLOR` (npm start sets it for its children when it runs in a terminal).
 */
export function chooseLogFormat(setting: LogFormat | undefined, terminal: Terminal): { format: LogFormat; colour: boolean } {
  const underNxServe = terminal.env['NX_FILE_TO_RUN'] !== undefined && terminal.stdinIsTTY;
  const watched = terminal.stdoutIsTTY || underNxServe;
  const format = setting ?? (watched ? 'pretty' : 'json');
  const force = terminal.env['FORCE_COLOR'];
  const noColour = terminal.env['NO_COLOR'] !== undefined && terminal.env['NO_COLOR'] !== '';
  const colour = format === 'pretty' && !noColour && (force !== undefined && force !== '' ? force !== '0' && force !== 'false' : watched);
  return { format, colour };
}
