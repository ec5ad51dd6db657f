import { getPath } from '../../patroni-config/config-path.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import type { Finding } from '../finding.js';
import { clusterOfDocument, flag, locationAt, memberLabel, text } from '../patroni-document.js';

/**
 * A member runs with the watchdog off although its cluster uses synchronous
 * replication (or the settings ask for a watchdog): a primary Patroni
 * cannot stop in time (hung, paused VM) keeps accepting writes after
 * another node took over.
 */
export const watchdogOffRule: AuditRule = {
  id: 'operations.watchdog-off',
  category: 'operations',
  title: 'watchdog off where it is needed',
  severity: 'warning',
  why: 'Without a watchdog, a primary whose Patroni hangs keeps PostgreSQL accepting writes after its leader key expired and a replica was promoted, which synchronous mode exists to prevent.',
  fix: 'set patroni.watchdog.mode: required (with device) in the settings, make /dev/watchdog usable by the Patroni user, and regenerate the instance configuration',
  needs: 'static-or-live',
  check(snapshot) {
    const findings: Finding[] = [];
    const wanted = snapshot.settings.patroni?.watchdog.mode;
    const liveConfig = new Map(
      (snapshot.live?.etcd.clusters ?? []).map((cluster) => [`${cluster.namespace}${cluster.scope}`, cluster.config]),
    );
    for (const file of snapshot.patroniFiles) {
      const document = file.document;
      if (!document) continue;
      const mode = getPath(document, ['watchdog', 'mode']);
      // Patroni's default is automatic; `off` (or PyYAML's false) turns it off.
      const off = flag(mode) === false || text(mode)?.toLowerCase() === 'off';
      if (!off) continue;
      const cluster = clusterOfDocument(document);
      const synchronous =
        (cluster && liveConfig.get(cluster.id)?.synchronousMode) ??
        flag(getPath(document, ['bootstrap', 'dcs', 'synchronous_mode'])) ??
        false;
      const settingsWant = wanted !== undefined && wanted !== 'off';
      if (!synchronous && !settingsWant) continue;
      findings.push(
        findingOf(this, {
          object: { kind: 'member', name: memberLabel(file) },
          evidence: `${file.path}: watchdog.mode is off${synchronous ? ` while ${cluster?.id ?? 'its cluster'} runs synchronous_mode` : ''}${settingsWant ? `${synchronous ? ' and' : ' while'} the settings ask for patroni.watchdog.mode ${wanted}` : ''}`,
          location: locationAt(file, 'watchdog.mode'),
          ...(file.generated === false
            ? {
                fix: `set watchdog.mode: required (and watchdog.device) in ${file.path}, make the device usable by the Patroni user, then reload that Patroni`,
              }
            : {}),
        }),
      );
    }
    return findings;
  },
};
