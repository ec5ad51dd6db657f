import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Where a secret was found: never the secret itself. */
export interface SecretSighting {
  secret: string;
  where: string;
}

/**
 * Samples the command line (what `ps` shows) and the environment of every
 * process on the host, until stopped: a password given as an argument or put
 * in an environment, even for a moment (pg_basebackup, initdb), is caught.
 * `labels` name the secrets in reports.
 */
export function startProcessSecretSampler(
  secrets: Record<string, string>,
  options: { intervalMs?: number; ignore?: (cmdline: string) => boolean } = {},
): { stop(): Promise<{ samples: number; sightings: SecretSighting[] }> } {
  const intervalMs = options.intervalMs ?? 100;
  const sightings: SecretSighting[] = [];
  let samples = 0;
  const sample = (): void => {
    samples += 1;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      if (options.ignore) {
        let cmdline = '';
        try {
          cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
        } catch {
          continue;
        }
        if (options.ignore(cmdline)) continue;
      }
      for (const file of ['cmdline', 'environ']) {
        let text: string;
        try {
          text = readFileSync(`/proc/${entry}/${file}`, 'utf8');
        } catch {
          continue;
        }
        for (const [label, secret] of Object.entries(secrets)) {
          if (text.includes(secret))
            sightings.push({ secret: label, where: `/proc/${entry}/${file} of ${programOf(entry)}` });
        }
      }
    }
  };
  const timer = setInterval(sample, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      sample();
      return { samples, sightings };
    },
  };
}

/** Every regular file under the paths (recursively) whose content holds one of the secrets. */
export function filesHoldingSecrets(paths: string[], secrets: Record<string, string>): SecretSighting[] {
  const sightings: SecretSighting[] = [];
  const visit = (path: string): void => {
    let info;
    try {
      info = statSync(path);
    } catch {
      return;
    }
    if (info.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
      return;
    }
    if (!info.isFile()) return;
    const text = readFileSync(path, 'utf8');
    for (const [label, secret] of Object.entries(secrets))
      if (text.includes(secret)) sightings.push({ secret: label, where: path });
  };
  for (const path of paths) visit(path);
  return sightings;
}

/** Labels of the secrets found in texts (CLI outputs): never the secrets themselves. */
export function secretsInTexts(texts: string[], secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, secret]) => texts.some((text) => text.includes(secret)))
    .map(([label]) => label);
}

function programOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return 'a process gone since';
  }
}
