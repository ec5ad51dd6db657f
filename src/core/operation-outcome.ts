/**
 * What a library operation gives back to its caller (the CLI, a script, the
 * lab): the data (printed as JSON with `--output json`), its text rendering,
 * and the exit code it stands for. One shape for every operation keeps each
 * CLI action one call.
 */
export interface OperationOutcome<T = unknown> {
  /** Undefined when the operation's output went elsewhere (a narration, a child process's terminal): nothing is printed. */
  data: T;
  text: () => string;
  exitCode?: number | undefined;
}

/** How an operation tells its caller what it is doing (the CLI prints steps and details on stderr). */
export interface OperationProgress {
  step(message: string): void;
  detail(message: string): void;
  warn(message: string): void;
}

/** Progress that can also keep one transient line on the terminal (rewritten in place, cleared by the next line). */
export interface TerminalProgress extends OperationProgress {
  progress(message: string): void;
  endProgress(): void;
}

/** The operator's answer to a confirmation before the first change: false stops the operation, changing nothing. */
export type Confirmation = (question: string) => Promise<boolean>;

/**
 * The operator's way to stop an operation at its next safe point (Ctrl-C on
 * the CLI). Calling it starts listening: each interruption calls `heard`,
 * then aborts `signal`; `stop` ends the listening once the interruptible
 * part is over.
 */
export type Interruption = (heard: () => void) => { signal: AbortSignal; stop: () => void };
