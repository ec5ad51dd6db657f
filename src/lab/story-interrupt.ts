import { ExitCode, PgfleetError } from '../core/errors.js';
import type { DemoNarrator } from './demo-narrator.js';

/**
 * Settles with `story`, or with a LAB_STORY_INTERRUPTED error (exit 130) as
 * soon as `signal` aborts (Ctrl-C), without waiting for the step under way:
 * a step may be a 30 s wait, and the caller's cleanup (stop the lab, switch
 * auth off) must not wait behind it.
 */
export async function untilInterrupted<T>(
  story: Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
): Promise<T> {
  if (!signal) return story;
  // The story keeps running in the background until the process exits; its own failure then means nothing.
  story.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onAbort = () => reject(storyInterrupted(what));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([story, interrupted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

export function storyInterrupted(what: string): PgfleetError {
  return new PgfleetError('LAB_STORY_INTERRUPTED', `${what} interrupted`, {
    exitCode: ExitCode.interrupted,
    hint: 'run it again when you like; `pgfleet lab status` shows any lab left running',
  });
}

export function isStoryInterruption(error: unknown): boolean {
  return (
    error instanceof PgfleetError && (error.code === 'LAB_STORY_INTERRUPTED' || error.code === 'LAB_UP_INTERRUPTED')
  );
}

/**
 * The story's narrator once it may be interrupted: silent after the
 * interruption (the step under way goes on in the background while the lab
 * is cleaned up, and what it would still say is no longer true), and no new
 * step starts: `step` throws, which ends the abandoned story there.
 */
export function narratorUntil(narrator: DemoNarrator, signal: AbortSignal | undefined): DemoNarrator {
  if (!signal) return narrator;
  const live =
    <A extends unknown[]>(say: (...args: A) => void) =>
    (...args: A): void => {
      if (!signal.aborted) say(...args);
    };
  return {
    step: (title: string) => {
      if (signal.aborted) throw storyInterrupted('the story');
      narrator.step(title);
    },
    command: live((line: string) => narrator.command(line)),
    say: live((line: string) => narrator.say(line)),
    progress: live((line: string) => narrator.progress(line)),
    endProgress: () => narrator.endProgress(),
    status: live((status) => narrator.status(status)),
  };
}
