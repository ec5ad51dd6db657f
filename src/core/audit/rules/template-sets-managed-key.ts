import { managedKeysSetBy } from '../../patroni-config/managed-keys.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import { locationAt } from '../patroni-document.js';

/** The site template sets a key pgfleet manages: pgfleet overrides or drops it, so what the template says is not what runs. */
export const templateSetsManagedKeyRule: AuditRule = {
  id: 'files.template-sets-managed-key',
  category: 'files',
  title: 'template sets a key pgfleet manages',
  severity: 'low',
  why: 'pgfleet rewrites or drops the keys it manages, so a protection set there in the template (credentials, TLS, watchdog) is silently not the one in effect.',
  fix: 'remove the key from the template and set it through the site settings or the instance options',
  needs: 'static',
  check(snapshot) {
    const template = snapshot.template;
    if (!template?.document) return [];
    const dcs = snapshot.settings.patroni?.etcd.version;
    return managedKeysSetBy(template.document, { dcs }).map((key) =>
      findingOf(this, {
        object: { kind: 'file', name: template.path },
        evidence: `the Patroni template ${template.path} sets ${key}, which pgfleet manages`,
        location: locationAt(template, key),
      }),
    );
  },
};
