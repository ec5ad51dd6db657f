#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram, commanderExitCode } from './program.js';

const program = buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exitCode = commanderExitCode(error);
  else throw error;
}
