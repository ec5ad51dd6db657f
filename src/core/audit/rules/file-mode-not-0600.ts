import { type AuditRule, findingOf } from '../audit-rule.js';
import { accessBeyondOwner, auditedFiles, isWorldReadable, octalMode } from '../file-exposure.js';
import { locationAt } from '../patroni-document.js';

/**
 * A Patroni YAML or a secret file that group or others may read or write.
 * World-readable files holding a password are files.password-world-readable.
 */
export const fileModeNot0600Rule: AuditRule = {
  id: 'files.mode-not-0600',
  category: 'files',
  title: 'Patroni YAML or secret file not 0600',
  severity: 'warning',
  why: 'Patroni YAMLs and secret files hold passwords and keys; any access beyond the owner lets another local account read a credential or change the configuration.',
  fix: 'chmod 600 the file (pgfleet writes its files 0600)',
  needs: 'static',
  check(snapshot) {
    return auditedFiles(snapshot)
      .filter((file) => (file.facts.mode & 0o077) !== 0 && !isWorldReadable(file.facts))
      .map((file) =>
        findingOf(this, {
          object: { kind: 'file', name: file.facts.path },
          evidence: `${file.what} ${file.facts.path} has mode ${octalMode(file.facts.mode)} (${accessBeyondOwner(file.facts.mode)})`,
          fix: `chmod 600 ${file.facts.path}`,
          ...(file.yaml ? { location: locationAt(file.yaml) } : { location: { file: file.facts.path } }),
        }),
      );
  },
};
