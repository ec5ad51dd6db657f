import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { type ProgramName, parseProgramVersion } from './stack-compatibility.js';

export interface ProgramProbe {
  name: ProgramName;
  /** Where it was looked for (an absolute path), or the bare name when not on PATH. */
  path: string;
  found: boolean;
  version: string | null;
  /** Why the version is unknown although the program exists. */
  problem: string | null;
}

/** How to ask each program its version (patronictl has no --version). */
const VERSION_ARGS: Record<ProgramName, string[]> = {
  etcd: ['--version'],
  etcdctl: ['version'],
  patroni: ['--version'],
  patronictl: ['version'],
  postgres: ['--version'],
  pg_ctl: ['--version'],
};

/** Finds a program (an absolute path as given, else on PATH) and asks its version. */
export async function probeProgram(
  name: ProgramName,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProgramProbe> {
  const path = isAbsolute(where)
    ? (await isExecutable(where))
      ? where
      : undefined
    : await onPath(where, env.PATH ?? '');
  if (!path) return { name, path: isAbsolute(where) ? where : name, found: false, version: null, problem: null };
  const run = await runVersion(path, VERSION_ARGS[name], env);
  const version = (run.output ? parseProgramVersion(run.output) : undefined) ?? null;
  return {
    name,
    path,
    found: true,
    version,
    problem: version ? null : (run.error ?? `no version in the output of ${path} ${VERSION_ARGS[name].join(' ')}`),
  };
}

async function onPath(name: string, pathVariable: string): Promise<string | undefined> {
  for (const directory of pathVariable.split(delimiter).filter((entry) => entry.length > 0)) {
    const candidate = join(directory, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function runVersion(
  path: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ output?: string; error?: string }> {
  // PATRONI_* variables would make patroni read another configuration; PATRONICTL_CONFIG_FILE likewise.
  const childEnv = Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('PATRONI')));
  return new Promise((resolve) => {
    execFile(path, args, { timeout: 15_000, env: childEnv }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error && !parseProgramVersion(output))
        resolve({ error: `${path} ${args.join(' ')} failed: ${(stderr || error.message).trim().split('\n')[0]}` });
      else resolve({ output });
    });
  });
}
