import { execFile } from 'node:child_process';
import { PgfleetError } from '../../core/errors.js';
import { childEnvironment } from '../process/child-environment.js';
import {
  parsePatroniVersion,
  patroniFeatures,
  type PatroniFeatures,
} from '../../core/patroni-config/patroni-features.js';

const detected = new Map<string, Promise<PatroniFeatures>>();

/**
 * What the Patroni at `execpath` accepts, from `patroni --version`. Cached
 * per path for the life of the process: one pgfleet run asks once.
 */
export function detectPatroniFeatures(execpath: string): Promise<PatroniFeatures> {
  let features = detected.get(execpath);
  if (!features) {
    features = runVersion(execpath).then((output) => patroniFeatures(parsePatroniVersion(output)));
    detected.set(execpath, features);
    // A failure is not cached: the next call (after an install) tries again.
    features.catch(() => detected.delete(execpath));
  }
  return features;
}

function runVersion(execpath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(execpath, ['--version'], { timeout: 30_000, env: patroniEnvironment() }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        reject(
          code === 'ENOENT' || code === 'EACCES'
            ? new PgfleetError('PATRONI_NOT_FOUND', `cannot run ${execpath} (${code})`, {
                hint: 'install patroni (apt-get install patroni) or set patroni.execpath in the settings',
              })
            : new PgfleetError(
                'PATRONI_VERSION_UNKNOWN',
                `"${execpath} --version" failed: ${(stderr || error.message).trim().split('\n')[0]}`,
                { hint: 'check patroni.execpath in the settings' },
              ),
        );
      } else resolve(`${stdout}${stderr}`);
    });
  });
}

/** The environment for a Patroni child: an allow-list (no PATRONI_* variable, which would override the file being checked, no secret of pgfleet's). */
export function patroniEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return childEnvironment(env);
}
