import { normalizeNamespace } from '../patroni-key.js';
import { lastOption, parseCommandLine } from './command-line.js';
import {
  type EtcdApiVersion,
  type EtcdClientProcess,
  type ProcessFacts,
  endpointWithoutUserInfo,
} from './etcd-client-process.js';
import { type PlainRecord, isRecord, text, textList, yamlRecord } from './yaml-record.js';

/** Options of patronictl 3.0.2 that take a value (ctl.py), its own and its commands', so that their values are not read as the cluster. */
const PATRONICTL_VALUED = new Set([
  'config-file',
  'c',
  'dcs-url',
  'dcs',
  'd',
  'format',
  'f',
  'watch',
  'w',
  'group',
  'role',
  'r',
  'member',
  'm',
  'leader',
  'master',
  'candidate',
  'scheduled',
  'pg-version',
  'set',
  's',
  'pg',
  'p',
  'apply',
  'replace',
  'file',
  'username',
  'U',
  'dbname',
  'command',
  'delimiter',
  'timeout',
]);
/** Patroni's `PATRONI_ETCD3_*` / `PATRONI_ETCD_*` settings that say where and as whom it connects. */
const SECTION_FROM_ENV = [
  'HOST',
  'HOSTS',
  'URL',
  'PROXY',
  'SRV',
  'PROTOCOL',
  'USERNAME',
  'PASSWORD',
  'CERT',
  'KEY',
] as const;

/**
 * The configuration file patronictl reads: `-c`/`--config-file`, else
 * `$PATRONICTL_CONFIG_FILE`, else click's `~/.config/patroni/patronictl.yaml`.
 * Patroni takes its file as first argument.
 */
export function patroniConfigPath(facts: Pick<ProcessFacts, 'program' | 'argv' | 'env'>): string | undefined {
  if (facts.program === 'patroni') {
    return parseCommandLine(facts.argv.slice(1), new Set()).positionals[0];
  }
  const line = parseCommandLine(facts.argv.slice(1), PATRONICTL_VALUED);
  const given = lastOption(line, 'c', 'config-file') ?? facts.env.get('PATRONICTL_CONFIG_FILE');
  if (given) return given;
  const configHome =
    facts.env.get('XDG_CONFIG_HOME') ?? (facts.env.get('HOME') ? `${facts.env.get('HOME')}/.config` : undefined);
  return configHome ? `${configHome}/patroni/patronictl.yaml` : undefined;
}

/** Patroni or patronictl, described from its YAML, its `PATRONI_*` variables and (patronictl) its `--dcs-url`. */
export function describePatroniClient(facts: ProcessFacts): EtcdClientProcess {
  const fromEnv = facts.env.get('PATRONI_CONFIGURATION');
  const document = yamlRecord(fromEnv ?? facts.config?.text) ?? {};
  const line = facts.program === 'patronictl' ? parseCommandLine(facts.argv.slice(1), PATRONICTL_VALUED) : undefined;
  const dcsUrl = line ? (lastOption(line, 'd', 'dcs', 'dcs-url') ?? facts.env.get('DCS_URL')) : undefined;

  let sections: { etcd3: PlainRecord | undefined; etcd: PlainRecord | undefined; otherDcs: boolean };
  if (dcsUrl) {
    // patronictl drops every DCS section of its file for the one the URL names (ctl.py load_config).
    const scheme = /^([a-z0-9]+):\/\//.exec(dcsUrl)?.[1] ?? 'etcd';
    const hostPort = dcsUrl.replace(/^[a-z0-9]+:\/\//, '').replace(/\/.*$/, '');
    sections = {
      etcd3: scheme === 'etcd3' ? { host: hostPort } : undefined,
      etcd: scheme === 'etcd' ? { host: hostPort } : undefined,
      otherDcs: scheme !== 'etcd' && scheme !== 'etcd3',
    };
  } else {
    sections = {
      etcd3: withEnvironment(isRecord(document['etcd3']) ? document['etcd3'] : undefined, facts.env, 'PATRONI_ETCD3_'),
      etcd: withEnvironment(isRecord(document['etcd']) ? document['etcd'] : undefined, facts.env, 'PATRONI_ETCD_'),
      otherDcs: ['zookeeper', 'consul', 'exhibitor', 'kubernetes', 'raft'].some((name) => name in document),
    };
  }
  const section = sections.etcd3 ?? sections.etcd;
  const api: EtcdApiVersion = sections.etcd3
    ? 'v3'
    : sections.etcd
      ? 'v2'
      : sections.otherDcs
        ? 'other-dcs'
        : 'unknown';
  const access = section
    ? sectionAccess(section)
    : { endpoints: [], username: undefined, passwordSet: false, clientCertificate: false };

  const namespace = normalizeNamespace(
    facts.env.get('PATRONI_NAMESPACE') ?? (text(document['namespace']) || undefined),
  );
  // patronictl takes the cluster as the argument after its command (`patronictl list alpha`).
  const scopeArgument = line?.positionals[1];
  const scope = facts.env.get('PATRONI_SCOPE') ?? (scopeArgument || text(document['scope']) || undefined);
  const name =
    facts.program === 'patroni' ? (facts.env.get('PATRONI_NAME') ?? (text(document['name']) || undefined)) : undefined;
  return {
    pid: facts.pid,
    uid: facts.uid,
    program: facts.program,
    api,
    endpoints: access.endpoints,
    credentialsSet: access.username !== undefined && access.passwordSet,
    username: access.username,
    clientCertificate: access.clientCertificate,
    configFile: fromEnv !== undefined ? undefined : facts.config?.path,
    configReadable: fromEnv !== undefined ? undefined : facts.config ? facts.config.text !== undefined : undefined,
    keys: scope ? [{ key: `${namespace}${scope}/`, prefix: true, use: 'read-write' }] : [],
    patroni: { namespace, scope, name },
    command: line?.positionals[0],
    version: facts.version,
  };
}

/** A DCS section with Patroni's environment variables laid over it (they win, config.py). */
function withEnvironment(
  section: PlainRecord | undefined,
  env: ReadonlyMap<string, string>,
  prefix: string,
): PlainRecord | undefined {
  const overrides: PlainRecord = {};
  for (const suffix of SECTION_FROM_ENV) {
    const value = env.get(`${prefix}${suffix}`);
    if (value !== undefined) overrides[suffix.toLowerCase()] = value;
  }
  if (!section && Object.keys(overrides).length === 0) return undefined;
  return { ...(section ?? {}), ...overrides };
}

function sectionAccess(section: PlainRecord): {
  endpoints: string[];
  username: string | undefined;
  passwordSet: boolean;
  clientCertificate: boolean;
} {
  const protocol = text(section['protocol']) || 'http';
  let username = text(section['username']) || undefined;
  let passwordSet = text(section['password']) !== '';
  const endpoints: string[] = [];
  for (const url of [text(section['url']), text(section['proxy'])].filter((value) => value !== '')) {
    // Patroni takes the user and password of a `url` (etcd.py).
    const userInfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url)?.[1];
    if (userInfo) {
      const [user, password] = userInfo.split(':');
      username ??= user ? decodeURIComponent(user) : undefined;
      passwordSet ||= (password ?? '') !== '';
    }
    endpoints.push(endpointWithoutUserInfo(url));
  }
  for (const host of [...textList(section['hosts']), ...textList(section['host'])]) {
    endpoints.push(/^[a-z]+:\/\//i.test(host) ? endpointWithoutUserInfo(host) : `${protocol}://${host}`);
  }
  const srv = text(section['srv']);
  if (srv) endpoints.push(`srv:${srv}`);
  return { endpoints, username, passwordSet, clientCertificate: text(section['cert']) !== '' };
}
