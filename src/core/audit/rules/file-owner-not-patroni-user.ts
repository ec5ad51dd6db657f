import { type AuditRule, findingOf } from '../audit-rule.js';
import { auditedFiles, ownerLabel } from '../file-exposure.js';

/** A Patroni YAML or a file Patroni reads (keys, pgpass) owned by another account than the one Patroni runs as. */
export const fileOwnerNotPatroniUserRule: AuditRule = {
  id: 'files.owner-not-patroni-user',
  category: 'files',
  title: 'Patroni file owned by another user',
  severity: 'warning',
  why: 'A file Patroni reads should belong to the account Patroni runs as: another owner can rewrite its credentials or settings, and a 0600 file owned by someone else is one Patroni cannot read at its next restart.',
  fix: 'chown the file to the Patroni user (settings patroni.user, postgres by default)',
  needs: 'static',
  check(snapshot) {
    const user = snapshot.patroniUser;
    if (!user) return [];
    return auditedFiles(snapshot)
      .filter((file) => file.readByPatroni && file.facts.uid !== user.uid)
      .map((file) =>
        findingOf(this, {
          object: { kind: 'file', name: file.facts.path },
          evidence: `${file.what} ${file.facts.path} belongs to ${ownerLabel(file.facts)}; Patroni runs as ${user.name} (uid ${user.uid})`,
          fix: `chown ${user.name} ${file.facts.path}`,
          location: { file: file.facts.path },
        }),
      );
  },
};
