import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Interruption, OperationOutcome } from '../core/operation-outcome.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import type { LoadedSettings } from '../adapters/settings/site-settings-file.js';
import { CliOutput, type GlobalOptions, type OutputFormat, colorMode } from './cli-output.js';
import { runCommand } from './run-command.js';

/** What every command file shares: the global options, the output, option parsers, and how an action runs a library operation. */
export const VERSION = '0.1.0';

/** The global options as seen from any subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  const raw = command.optsWithGlobals() as Record<string, unknown>;
  return {
    settings: raw.settings as string | undefined,
    // sarif (audit only) is JSON: errors are printed as JSON documents too.
    output: raw.output === 'sarif' ? 'json' : ((raw.output as OutputFormat | undefined) ?? 'text'),
    quiet: Boolean(raw.quiet),
    verbose: Boolean(raw.verbose),
    // Decided for each stream by CliOutput: whether stdout or stderr is a terminal.
    color: colorMode(raw.color !== false, process.env),
    debug: Boolean(raw.debug),
  };
}

export function outputFor(command: Command): CliOutput {
  return new CliOutput(globalOptions(command));
}

/** Option parser for whole numbers, with the option's name in the message. */
export function integerOption(min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return parsed;
  };
}

/** The site settings named by --settings (or found in the default places), loaded when an action needs them. */
export async function siteSettingsOf(command: Command): Promise<SiteSettings> {
  return (await loadedSiteSettingsOf(command)).settings;
}

/** The same, with the file they came from, for operations whose messages name it. */
export async function loadedSiteSettingsOf(command: Command): Promise<LoadedSettings> {
  const { loadSiteSettings } = await import('../adapters/settings/site-settings-file.js');
  return loadSiteSettings(globalOptions(command).settings);
}

/**
 * Runs one library operation for a command: its progress on stderr, its
 * outcome printed as text or JSON, its exit code; a failure becomes one
 * clear error line and hint.
 */
export async function runOperation(
  command: Command,
  operation: (output: CliOutput) => Promise<OperationOutcome>,
): Promise<void> {
  const output = outputFor(command);
  await runCommand(output, async () => {
    const outcome = await operation(output);
    if (outcome.data !== undefined) output.data(outcome.data, outcome.text);
    return outcome.exitCode;
  });
}

/**
 * runOperation for an operation that abandons the step under way when
 * interrupted (a lab story), given `cleanupInterruption`: once interrupted,
 * the process ends as soon as the operation has cleaned up and returned,
 * without waiting for the abandoned step's timers and sockets.
 */
export async function runAbandoningOperation(
  command: Command,
  operation: (output: CliOutput, interruption: Interruption) => Promise<OperationOutcome>,
): Promise<void> {
  let interrupted = false;
  const interruption: Interruption = (heard) =>
    cleanupInterruption(() => {
      interrupted = true;
      heard();
    });
  await runOperation(command, (output) => operation(output, interruption));
  if (interrupted) process.exit(process.exitCode ?? 130);
}

/** Asks the operator on the terminal; refuses (with the flag to use) when stdin is not one. */
export function terminalConfirmation(assumeYes: boolean | undefined): (question: string) => Promise<boolean> {
  return async (question) => {
    if (assumeYes) return true;
    const { PgfleetError } = await import('../core/errors.js');
    if (!process.stdin.isTTY)
      throw new PgfleetError('CONFIRMATION_NEEDED', 'this command asks for confirmation and stdin is not a terminal', {
        hint: 'add --yes to go on without asking',
      });
    const { createInterface } = await import('node:readline/promises');
    const prompt = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await prompt.question(`${question} [y/N] `);
    prompt.close();
    return /^y(es)?$/i.test(answer.trim());
  };
}

/**
 * Ctrl-C (SIGINT) or SIGTERM, each heard once, as the signal that stops an
 * operation at its next safe point; a second Ctrl-C ends the process as usual.
 */
export const terminalInterruption: Interruption = (heard) => interruptionOn(['SIGINT', 'SIGTERM'], heard);

/** Ctrl-C only, heard once: what ends an open-ended wait (`instance logs --follow`); SIGTERM keeps its default. */
export const ctrlCInterruption: Interruption = (heard) => interruptionOn(['SIGINT'], heard);

/**
 * Ctrl-C (SIGINT) or SIGTERM, heard every time and never ending the process:
 * the first stops the operation, which cleans up (a lab stops what it
 * started); cutting that clean-up short would leave processes behind. While
 * listening, the process also outlives a Ctrl-C meant for a child it waits for.
 */
export const cleanupInterruption: Interruption = (heard) => interruptionOn(['SIGINT', 'SIGTERM'], heard, 'every');

function interruptionOn(
  signals: NodeJS.Signals[],
  heard: () => void,
  times: 'once' | 'every' = 'once',
): ReturnType<Interruption> {
  const interrupt = new AbortController();
  const onSignal = (): void => {
    heard();
    interrupt.abort();
  };
  for (const signal of signals) process[times === 'once' ? 'once' : 'on'](signal, onSignal);
  return {
    signal: interrupt.signal,
    stop: () => {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
