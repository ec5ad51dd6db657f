#!/usr/bin/env node
import module from 'node:module';
import { dropOutputOfGoneReaders } from './closed-output.js';

// Before anything is written: a closed stdout or stderr (`pgfleet --help | head -1`) ends nothing and prints no stack trace.
dropOutputOfGoneReaders();

// Node 22.1+ caches compiled code between runs (faster cold start); Node 20 has no such API.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

// Loaded after the cache is on, so the command tree benefits from it.
const { CommanderError } = await import('commander');
const { buildProgram, commanderExitCode } = await import('./program.js');

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has already printed its one-line message (and a suggestion).
    process.exitCode = commanderExitCode(error);
  } else {
    // Actions report their own errors (runCommand); this is a failure outside any action.
    const { CliOutput } = await import('./cli-output.js');
    const { reportError } = await import('./run-command.js');
    const { globalOptions } = await import('./command-kit.js');
    process.exitCode = reportError(new CliOutput(globalOptions(program)), error);
  }
}
