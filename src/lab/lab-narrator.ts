import type { DemoNarrator } from './demo-narrator.js';
import type { LabStatus } from './lab-status.js';

/** The narrator of `pgfleet lab demo` and `lab replay-outage`, with the story's closing summary. */
export interface LabNarrator extends DemoNarrator {
  summary(lines: string[], ending: string): void;
}

/** Where a narration goes: stdout as it is (coloured when stdout takes colours), and a transient line on the terminal. */
export interface NarrationOutput {
  print(text: string): void;
  paintStdout(text: string, ansiColor: number): string;
  progress(message: string): void;
  endProgress(): void;
}

/**
 * Narration on stdout: numbered steps, the command an operator would type,
 * what happened, the summary. Its colours follow stdout (`lab demo | tee
 * log` gets plain text even when stderr is a terminal); transient progress
 * goes to stderr, on a terminal only, and is cleared before any narration.
 */
export function labNarrator(output: NarrationOutput, renderStatus: (status: LabStatus) => string): LabNarrator {
  let stepNumber = 0;
  // A progress line on the terminal is cleared before any narration, which shares the terminal.
  const print = (text: string): void => {
    output.endProgress();
    output.print(text);
  };
  return {
    step: (title) => print(`\n${output.paintStdout(`[${++stepNumber}]`, 1)} ${title}\n`),
    command: (line) => print(`    ${output.paintStdout(`$ ${line}`, 36)}\n`),
    say: (line) => print(`    ${line}\n`),
    progress: (line) => output.progress(`    ${line}`),
    endProgress: () => output.endProgress(),
    status: (status) => print(`${renderStatus(status).replace(/^/gm, '    ')}\n`),
    summary: (lines, ending) =>
      print(`\n${output.paintStdout('Summary', 1)}\n${lines.map((line) => `  - ${line}`).join('\n')}\n  - ${ending}\n`),
  };
}
