import { type AuditRule, findingOf } from '../audit-rule.js';
import { auditedFiles, octalMode } from '../file-exposure.js';
import { locationAt } from '../patroni-document.js';

/** A file holding a password or a private key that every local account can read. */
export const passwordWorldReadableRule: AuditRule = {
  id: 'files.password-world-readable',
  category: 'files',
  title: 'password in a world-readable file',
  severity: 'high',
  why: 'Every account on the host, and every process running as one, can read this credential and use it against etcd, the REST API or PostgreSQL.',
  fix: 'chmod 600 the file, then change the exposed password (it may already have been read)',
  needs: 'static',
  check(snapshot) {
    return auditedFiles(snapshot)
      .filter((file) => (file.facts.mode & 0o004) !== 0 && file.secrets.length > 0)
      .map((file) =>
        findingOf(this, {
          object: { kind: 'file', name: file.facts.path },
          evidence: `${file.what} ${file.facts.path} has mode ${octalMode(file.facts.mode)} and holds ${file.secrets[0] === '(whole file)' ? 'a secret' : `secrets at ${file.secrets.slice(0, 4).join(', ')}${file.secrets.length > 4 ? ', ...' : ''}`}`,
          fix:
            file.what === 'Patroni template'
              ? `remove the passwords from ${file.facts.path} (pgfleet takes them from 0600 files given to the instance options) and change them`
              : `chmod 600 ${file.facts.path}, then change the exposed password`,
          ...(file.yaml
            ? { location: locationAt(file.yaml, file.secrets[0]) }
            : { location: { file: file.facts.path } }),
        }),
      );
  },
};
