import { execFile } from 'node:child_process';
import { PgfleetError } from '../../core/errors.js';
import {
  classifyValidatorOutput,
  isValidationError,
  redactSecrets,
  type ValidationFinding,
} from '../../core/patroni-config/validation-findings.js';
import type { Secret } from '../../core/secret.js';
import { patroniEnvironment } from './patroni-binary.js';

export interface PatroniValidation {
  /** Exit status of `patroni --validate-config` (0: nothing to report). */
  exitCode: number;
  findings: ValidationFinding[];
}

/**
 * Runs `patroni --validate-config FILE` and classifies what it says. The
 * file path is the only argument; secrets are in the file, never in argv.
 */
export function runPatroniValidateConfig(
  execpath: string,
  file: string,
  secrets: readonly Secret[] = [],
  timeoutMs = 120_000,
): Promise<PatroniValidation> {
  const values = secrets.map((secret) => secret.reveal());
  return new Promise((resolve, reject) => {
    execFile(
      execpath,
      ['--validate-config', file],
      { timeout: timeoutMs, env: patroniEnvironment(), maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ exitCode: 0, findings: [] });
          return;
        }
        const errno = (error as NodeJS.ErrnoException).code;
        if (typeof errno === 'string') {
          reject(
            new PgfleetError('PATRONI_NOT_FOUND', `cannot run ${execpath} (${errno})`, {
              hint: 'install patroni or set patroni.execpath in the settings',
            }),
          );
          return;
        }
        if (error.killed) {
          // A finding, not a failure of its own: enforce_config_validation decides, as for any other error.
          const message = `patroni --validate-config did not finish within ${Math.round(timeoutMs / 1000)} s (an unroutable etcd host or listen address makes it wait for TCP timeouts)`;
          resolve({ exitCode: -1, findings: [{ kind: 'other', path: undefined, message }] });
          return;
        }
        const exitCode = typeof error.code === 'number' ? error.code : 1;
        const findings = classifyValidatorOutput(`${stderr}\n${stdout}`, values);
        if (findings.length === 0)
          findings.push({
            kind: 'other',
            path: undefined,
            message: `patroni --validate-config exited with status ${exitCode} and no message`,
          });
        resolve({ exitCode, findings });
      },
    );
  });
}

export interface ValidationPolicy {
  execpath: string;
  /** patroni.enforce_config_validation: real errors are fatal (else reported as warnings). */
  enforce: boolean;
  /** Values to keep out of every message. */
  secrets: readonly Secret[];
  /** The file being replaced, named in messages instead of the temporary file. */
  target: string;
}

/**
 * Validates a configuration file per the site's policy: findings that are
 * known validator over-strictness never fail; other findings fail when
 * `enforce` is on, with Patroni's own message. Returns every finding.
 */
export async function validatePatroniConfigFile(file: string, policy: ValidationPolicy): Promise<ValidationFinding[]> {
  const { findings } = await runPatroniValidateConfig(policy.execpath, file, policy.secrets);
  const errors = findings.filter(isValidationError);
  if (policy.enforce && errors.length > 0) {
    const values = policy.secrets.map((secret) => secret.reveal());
    const messages = errors.map((finding) => redactSecrets(finding.message.split(file).join(policy.target), values));
    throw new PgfleetError(
      'PATRONI_CONFIG_INVALID',
      `patroni --validate-config rejects the configuration for ${policy.target}: ${messages[0]}`,
      {
        hint:
          (messages.length > 1 ? `also: ${messages.slice(1).join('; ')}. ` : '') +
          'fix the template or settings (the previous file, if any, is untouched); patroni.enforce_config_validation: false makes this a warning',
        details: {
          findings: findings.map((finding) => ({
            ...finding,
            message: redactSecrets(finding.message.split(file).join(policy.target), values),
          })),
        },
      },
    );
  }
  return findings;
}
