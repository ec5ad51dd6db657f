import type { Writable } from 'node:stream';

export type OutputFormat = 'text' | 'json';

export interface GlobalOptions {
  settings?: string | undefined;
  output: OutputFormat;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  debug: boolean;
}

/**
 * What a command prints, and where: data on stdout (text or JSON),
 * diagnostics and progress on stderr, progress only on a TTY.
 */
export class CliOutput {
  constructor(
    readonly options: GlobalOptions,
    private readonly stdout: Writable & { isTTY?: boolean } = process.stdout,
    private readonly stderr: Writable & { isTTY?: boolean } = process.stderr,
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

  /** A step of a longer operation (stderr; silent with --quiet). */
  step(message: string): void {
    if (!this.options.quiet) this.stderr.write(`${message}\n`);
  }

  /** Detail shown only with --verbose. */
  detail(message: string): void {
    if (this.options.verbose && !this.options.quiet) this.stderr.write(`${message}\n`);
  }

  warn(message: string): void {
    this.stderr.write(`${this.paint('warning:', 33)} ${message}\n`);
  }

  /** Transient progress line, only on a terminal. */
  progress(message: string): void {
    if (this.options.quiet || !this.stderr.isTTY) return;
    this.stderr.write(`\r\u001b[2K${message}`);
  }

  endProgress(): void {
    if (!this.options.quiet && this.stderr.isTTY) this.stderr.write('\r\u001b[2K');
  }

  paint(text: string, ansiColor: number): string {
    return this.options.color ? `\u001b[${ansiColor}m${text}\u001b[0m` : text;
  }
}
