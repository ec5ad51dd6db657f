import type { Writable } from 'node:stream';

export type OutputFormat = 'text' | 'json';

/**
 * Whether pgfleet colours what it prints: never (--no-color, NO_COLOR,
 * FORCE_COLOR=0), always (FORCE_COLOR), or auto: on a stream that is a
 * terminal only, decided for each stream (stdout piped while stderr is a
 * terminal: colours on stderr only).
 */
export type ColorMode = 'auto' | 'always' | 'never';

export interface GlobalOptions {
  settings?: string | undefined;
  output: OutputFormat;
  quiet: boolean;
  verbose: boolean;
  color: ColorMode;
  debug: boolean;
}

/**
 * The colour mode from the --color/--no-color flag and the environment, in
 * this order: --no-color; NO_COLOR set to anything but the empty string
 * (no-color.org); FORCE_COLOR ("0" or "false" turn colours off, any other
 * value on, as chalk and picocolors read it); else auto.
 */
export function colorMode(colorFlag: boolean, env: NodeJS.ProcessEnv): ColorMode {
  if (!colorFlag || (env.NO_COLOR ?? '') !== '') return 'never';
  const force = env.FORCE_COLOR;
  if (force === undefined) return 'auto';
  return force === '0' || force === 'false' ? 'never' : 'always';
}

type OutputStream = Writable & { isTTY?: boolean };

const ERASE_LINE = '\r\u001b[2K';

/**
 * What a command prints, and where: data on stdout (text or JSON),
 * diagnostics and progress on stderr, progress only on a TTY.
 */
export class CliOutput {
  /** A transient progress line is on the terminal: cleared before any other stderr line. */
  private progressShown = false;

  constructor(
    readonly options: GlobalOptions,
    private readonly stdout: OutputStream = process.stdout,
    private readonly stderr: OutputStream = process.stderr,
  ) {}

  get json(): boolean {
    return this.options.output === 'json';
  }

  /** Prints a command's result: JSON as is, or the text rendering. */
  data(value: unknown, renderText: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else {
      const text = renderText();
      if (text.length > 0) this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
  }

  /** Writes text to stdout as it is: a narration (`lab demo`) that is the command's output. */
  print(text: string): void {
    this.stdout.write(text);
  }

  /** A step of a longer operation (stderr; silent with --quiet). */
  step(message: string): void {
    if (this.options.quiet) return;
    this.endProgress();
    this.stderr.write(`${message}\n`);
  }

  /** Detail shown only with --verbose. */
  detail(message: string): void {
    if (!this.options.verbose || this.options.quiet) return;
    this.endProgress();
    this.stderr.write(`${message}\n`);
  }

  /** A warning (stderr; also with --quiet, which keeps errors and warnings). */
  warn(message: string): void {
    this.endProgress();
    this.stderr.write(`${this.paint('warning:', 33)} ${message}\n`);
  }

  /**
   * Transient progress line, only on a terminal: rewritten in place, never
   * written to a file or a pipe (the steps around it tell the story there).
   */
  progress(message: string): void {
    if (this.options.quiet || !this.stderr.isTTY) return;
    this.stderr.write(`${ERASE_LINE}${message}`);
    this.progressShown = true;
  }

  /** Clears the progress line, if one is shown. */
  endProgress(): void {
    if (!this.progressShown) return;
    this.stderr.write(ERASE_LINE);
    this.progressShown = false;
  }

  /** Colours text written to stderr (diagnostics, errors) when stderr takes colours. */
  paint(text: string, ansiColor: number): string {
    return this.colors(this.stderr) ? sgr(text, ansiColor) : text;
  }

  /** Colours text written to stdout (a narration) when stdout takes colours: a pipe or a file gets none. */
  paintStdout(text: string, ansiColor: number): string {
    return this.colors(this.stdout) ? sgr(text, ansiColor) : text;
  }

  private colors(stream: OutputStream): boolean {
    return this.options.color === 'always' || (this.options.color === 'auto' && Boolean(stream.isTTY));
  }
}

function sgr(text: string, ansiColor: number): string {
  return `\u001b[${ansiColor}m${text}\u001b[0m`;
}
