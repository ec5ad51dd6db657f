import type { LabStatus } from './lab-status.js';

/** How a lab story (the demo, the outage replay) tells what it does; the CLI prints it, a test records it. */
export interface DemoNarrator {
  /** A numbered step of the story. */
  step(title: string): void;
  /** The pgfleet command an operator would type for this step. */
  command(line: string): void;
  /** What happened, under the current step. */
  say(line: string): void;
  /** Transient progress (a TTY line). */
  progress(line: string): void;
  endProgress(): void;
  status(status: LabStatus): void;
}
