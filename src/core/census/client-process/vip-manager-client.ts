import { type CommandLine, lastOption, parseCommandLine, splitList } from './command-line.js';
import {
  type EtcdApiVersion,
  type EtcdClientProcess,
  type ProcessFacts,
  endpointWithoutUserInfo,
} from './etcd-client-process.js';
import { type PlainRecord, text, textList, yamlRecord } from './yaml-record.js';

/**
 * vip-manager's settings (vipconfig/config.go, 1.0 on): each has a flag, a
 * `VIP_` variable and a YAML key of the same name, plus the names of before
 * 1.0 it still maps. Flags win over variables, variables over the file.
 */
const SETTINGS = {
  triggerKey: ['trigger-key', 'key'],
  endpoints: ['dcs-endpoints', 'endpoint', 'endpoints'],
  dcsType: ['dcs-type', 'type', 'endpoint_type'],
  user: ['etcd-user', 'etcd_user'],
  password: ['etcd-password', 'etcd_password'],
  certFile: ['etcd-cert-file'],
} as const;
const VALUED = new Set([
  'config',
  ...Object.values(SETTINGS).flat(),
  'ip',
  'netmask',
  'mask',
  'interface',
  'iface',
  'trigger-value',
  'host',
  'nodename',
  'manager-type',
  'hosting_type',
  'hostingtype',
  'consul-token',
  'interval',
  'retry-after',
  'retry-num',
  'etcd-ca-file',
  'etcd-key-file',
]);

/** The YAML file vip-manager reads (`--config`). */
export function vipManagerConfigPath(facts: Pick<ProcessFacts, 'argv' | 'env'>): string | undefined {
  return (
    lastOption(parseCommandLine(facts.argv.slice(1), VALUED), 'config') ?? (facts.env.get('VIP_CONFIG') || undefined)
  );
}

/**
 * vip-manager: which key it polls (`trigger-key`, the cluster's leader key),
 * where, with which API. Up to 1.x (Debian bookworm's 1.0.2) its `etcd` type
 * is the v2 keys API, read every `interval` (1 s); from 2.0 it is v3.
 */
export function describeVipManager(facts: ProcessFacts): EtcdClientProcess {
  const line = parseCommandLine(facts.argv.slice(1), VALUED);
  const file = yamlRecord(facts.config?.text) ?? {};
  const setting = (names: readonly string[]): string | undefined =>
    fromFlags(line, names) ?? fromEnvironment(facts.env, names) ?? fromFile(file, names);
  const triggerKey = setting(SETTINGS.triggerKey);
  const dcsType = setting(SETTINGS.dcsType) ?? 'etcd';
  const username = setting(SETTINGS.user);
  const endpointsText = fromFlags(line, SETTINGS.endpoints) ?? fromEnvironment(facts.env, SETTINGS.endpoints);
  // The file may hold a YAML list; flags and variables a comma-separated one.
  const endpoints =
    endpointsText !== undefined ? splitList(endpointsText) : SETTINGS.endpoints.flatMap((name) => textList(file[name]));
  return {
    pid: facts.pid,
    uid: facts.uid,
    program: 'vip-manager',
    api: apiOf(dcsType, facts.version),
    endpoints: endpoints.map(endpointWithoutUserInfo),
    credentialsSet: username !== undefined && setting(SETTINGS.password) !== undefined,
    username,
    clientCertificate: (setting(SETTINGS.certFile) ?? facts.env.get('ETCD_CERT_FILE')) !== undefined,
    configFile: facts.config?.path,
    configReadable: facts.config ? facts.config.text !== undefined : undefined,
    keys: triggerKey ? [{ key: triggerKey, prefix: false, use: 'read' }] : [],
    patroni: undefined,
    command: undefined,
    version: facts.version,
  };
}

function apiOf(dcsType: string, version: string | undefined): EtcdApiVersion {
  if (dcsType === 'etcd3') return 'v3';
  if (dcsType !== 'etcd') return 'other-dcs';
  const major = version ? Number(/^(?:\d+:)?(\d+)/.exec(version)?.[1]) : Number.NaN;
  if (Number.isNaN(major)) return 'unknown';
  return major >= 2 ? 'v3' : 'v2';
}

function fromFlags(line: CommandLine, names: readonly string[]): string | undefined {
  return lastOption(line, ...[...names].reverse());
}

function fromEnvironment(env: ReadonlyMap<string, string>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = env.get(`VIP_${name.toUpperCase().replaceAll('-', '_')}`);
    if (value) return value;
  }
  return undefined;
}

function fromFile(file: PlainRecord, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = text(file[name]);
    if (value) return value;
  }
  return undefined;
}
