import assert from 'node:assert/strict';
import type { ConfigTree } from '../../../src/core/patroni-config/deep-merge.js';
import { prefixRange } from '../../../src/core/etcd/key-range.js';
import type { AuditRule } from '../../../src/core/audit/audit-rule.js';
import type { Finding } from '../../../src/core/audit/finding.js';
import type {
  EtcdFacts,
  FleetSnapshot,
  LiveFacts,
  PatroniYamlFile,
  RestApiFacts,
} from '../../../src/core/audit/fleet-snapshot.js';
import { redactPasswords } from '../../../src/core/audit/redaction.js';
import { SiteSettingsSchema } from '../../../src/core/settings/site-settings.js';

/** Snapshots for rule tests: a secured fleet by default, each test breaks one thing. */
export const POSTGRES = { name: 'postgres', uid: 108 };

export function settings(document: Record<string, unknown> = {}): FleetSnapshot['settings'] {
  return SiteSettingsSchema.parse({ patroni: {}, ...document });
}

/** A Patroni YAML as pgfleet generates it for a secured cluster (TLS, verify_client optional, basic auth, tenant credentials, pg_rewind). */
export function securedDocument(
  scope = 'alpha',
  name = `${scope}-1`,
  overrides: (document: ConfigTree) => void = () => undefined,
): ConfigTree {
  const document: ConfigTree = {
    scope,
    namespace: '/service/',
    name,
    etcd3: {
      hosts: ['127.0.0.1:2379'],
      protocol: 'https',
      cacert: '/etc/pgfleet/etcd-ca.crt',
      username: `patroni-${scope}`,
      password: 'tenant-pw',
    },
    restapi: {
      listen: '127.0.0.1:8008',
      connect_address: '127.0.0.1:8008',
      certfile: '/etc/pgfleet/restapi.crt',
      keyfile: '/etc/pgfleet/restapi.key',
      cafile: '/etc/pgfleet/ca.crt',
      verify_client: 'optional',
      authentication: { username: 'patroni', password: 'rest-pw' },
    },
    ctl: { cacert: '/etc/pgfleet/ca.crt', certfile: '/etc/pgfleet/ctl.crt', keyfile: '/etc/pgfleet/ctl.key' },
    postgresql: { use_pg_rewind: true, authentication: { superuser: { username: 'postgres', password: 'su-pw' } } },
    watchdog: { mode: 'off' },
  };
  overrides(document);
  return document;
}

export function yamlFile(
  path: string,
  document: ConfigTree,
  facts: Partial<Pick<PatroniYamlFile, 'mode' | 'uid' | 'gid' | 'origin' | 'keyLines' | 'generated'>> = {},
): PatroniYamlFile {
  return {
    path,
    mode: 0o600,
    uid: POSTGRES.uid,
    gid: POSTGRES.uid,
    origin: 'config-dir',
    keyLines: {},
    document: redactPasswords(document),
    ...facts,
  };
}

export function snapshot(overrides: Partial<FleetSnapshot> = {}): FleetSnapshot {
  return {
    settings: settings({ patroni: { etcd: { protocol: 'https', cacert: '/etc/pgfleet/etcd-ca.crt' } } }),
    settingsSource: '/etc/pgfleet/settings.yaml',
    patroniUser: POSTGRES,
    patroniFiles: [yamlFile('/etc/patroni/alpha-1.yaml', securedDocument())],
    secretFiles: [],
    processes: [],
    gaps: [],
    ...overrides,
  };
}

export function role(name: string, prefix: string, permType: 'READ' | 'WRITE' | 'READWRITE' = 'READWRITE') {
  return { name, permissions: [{ ...prefixRange(prefix), permType }] };
}

/** etcd with auth on, simple tokens, one tenant per cluster on its prefix with the trailing slash. */
export function etcdFacts(overrides: Partial<EtcdFacts> = {}, scopes: string[] = ['alpha']): EtcdFacts {
  return {
    endpoints: ['https://127.0.0.1:2379'],
    authEnabled: true,
    versions: [{ endpoint: 'https://127.0.0.1:2379', version: '3.4.23' }],
    unreachableEndpoints: [],
    tokenType: 'simple',
    users: [
      { name: 'root', roles: ['root'] },
      ...scopes.map((scope) => ({ name: `patroni-${scope}`, roles: [`patroni-${scope}`] })),
    ],
    roles: [
      { name: 'root', permissions: [] },
      ...scopes.map((scope) => role(`patroni-${scope}`, `/service/${scope}/`)),
    ],
    clusters: scopes.map((scope) => ({
      namespace: '/service/',
      scope,
      members: [{ name: `${scope}-1`, apiUrl: 'https://127.0.0.1:8008/patroni', patroniVersion: '3.0.2' }],
      config: { usePgRewind: true },
    })),
    ...overrides,
  };
}

/** What the probes find on a protected member: safe GET open (health checks), unsafe POST refused for want of a client certificate, pgfleet's own GET answered. */
export function restApi(member = '/service/alpha/alpha-1', overrides: Partial<RestApiFacts> = {}): RestApiFacts {
  return {
    member,
    url: 'https://127.0.0.1:8008',
    namespace: '/service/',
    scope: 'alpha',
    safe: { outcome: 'allowed', status: 200 },
    unsafe: { outcome: 'forbidden-403', status: 403 },
    pgfleet: { outcome: 'allowed', status: 200 },
    patroniVersion: '3.0.2',
    ...overrides,
  };
}

export function live(etcd: Partial<EtcdFacts> = {}, restApis: RestApiFacts[] = [restApi()]): LiveFacts {
  return { etcd: etcdFacts(etcd), restApis };
}

/** The passwords the builders put in documents: no finding may carry one. */
export const TEST_PASSWORDS = ['tenant-pw', 'rest-pw', 'su-pw', 's3cret-on-argv'];

/** Runs one rule, and checks every finding is well formed and free of the test passwords. */
export function check(rule: AuditRule, snap: FleetSnapshot): Finding[] {
  const findings = rule.check(snap);
  for (const finding of findings) {
    assert.equal(finding.ruleId, rule.id);
    assert.ok(finding.evidence.length > 0 && finding.why.length > 0 && finding.fix.length > 0);
    const text = JSON.stringify(finding);
    for (const password of TEST_PASSWORDS)
      assert.equal(text.includes(password), false, `${rule.id} leaked a password: ${text}`);
  }
  return findings;
}
