import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { ExitCode, PgfleetError } from '../core/errors.js';
import type { OperationOutcome } from '../core/operation-outcome.js';
import { passwordValuesIn } from '../core/patroni-config/config-secrets.js';
import { isValidationError, type ValidationFinding } from '../core/patroni-config/validation-findings.js';
import { Secret } from '../core/secret.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { runPatroniValidateConfig } from '../adapters/patroni/validate-config.js';

export interface PatroniConfigValidation {
  file: string;
  valid: boolean;
  findings: ValidationFinding[];
}

/**
 * `pgfleet patroni config validate FILE`: the installed `patroni
 * --validate-config` on any Patroni YAML (pgfleet's or not), its findings
 * sorted into real errors and the validator's known over-strictness
 * (loopback addresses, unreachable etcd, ports in use, keys Patroni runs
 * without such as bootstrap.* on a member that joined). A file that does not
 * exist or cannot be read is said so (exit 2): Patroni would validate an
 * empty configuration and list every required key as missing.
 */
export async function validatePatroniConfig(settings: SiteSettings, file: string): Promise<OperationOutcome> {
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new PgfleetError(
      error.code === 'ENOENT' ? 'PATRONI_CONFIG_MISSING' : 'PATRONI_CONFIG_UNREADABLE',
      error.code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot be read (${error.code ?? 'error'})`,
      {
        hint:
          error.code === 'ENOENT'
            ? 'give the path of an existing Patroni YAML'
            : 'run as a user who may read it (root, or its owner)',
        exitCode: ExitCode.usage,
      },
    );
  });
  if (!info.isFile())
    throw new PgfleetError('PATRONI_CONFIG_NOT_A_FILE', `${file}: not a regular file`, {
      hint: 'give the path of a Patroni YAML file (a directory of YAMLs is not validated as one)',
      exitCode: ExitCode.usage,
    });
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PgfleetError('PATRONI_CONFIG_UNREADABLE', `${file}: cannot be read (${error.code ?? 'error'})`, {
      hint: 'run as a user who may read it (root, or its owner)',
      exitCode: ExitCode.usage,
    });
  });
  // The file's own passwords are kept out of the messages, whatever Patroni prints.
  let passwords: string[] = [];
  try {
    passwords = passwordValuesIn(parse(text, { version: '1.1' }));
  } catch {
    // Not valid YAML: Patroni says so itself.
  }
  const execpath = settings.patroni?.execpath ?? '/usr/bin/patroni';
  const { findings } = await runPatroniValidateConfig(
    execpath,
    file,
    passwords.map((value) => new Secret(value)),
  );
  const errors = findings.filter(isValidationError);
  const result: PatroniConfigValidation = { file, valid: errors.length === 0, findings };
  return {
    data: result,
    text: () =>
      findings.length === 0
        ? `${file}: valid`
        : [
            `${file}: ${errors.length} error(s), ${findings.length - errors.length} known validator over-strictness`,
            ...findings.map((finding) => `  ${finding.kind.padEnd(20)} ${finding.message}`),
          ].join('\n'),
    exitCode: errors.length > 0 ? ExitCode.findings : ExitCode.ok,
  };
}
