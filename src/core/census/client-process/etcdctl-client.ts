import { lastOption, listOption, parseCommandLine } from './command-line.js';
import {
  type ClientKeyUse,
  type EtcdClientProcess,
  type ProcessFacts,
  endpointWithoutUserInfo,
} from './etcd-client-process.js';

/** Options of etcdctl 3.4 (v3 and, with ETCDCTL_API=2, v2) that take a value. */
const VALUED = new Set([
  'endpoints',
  'user',
  'password',
  'cacert',
  'cert',
  'key',
  'dial-timeout',
  'command-timeout',
  'keepalive-time',
  'keepalive-timeout',
  'discovery-srv',
  'discovery-srv-name',
  'write-out',
  'w',
  'rev',
  'limit',
  'order',
  'sort-by',
  'consistency',
  'lease',
  'max-txn-ops',
  'peers',
  'C',
  'endpoint',
  'username',
  'u',
  'ca-file',
  'cert-file',
  'key-file',
  'output',
  'o',
  'timeout',
  'total-timeout',
  'after-index',
  'ttl',
  'swap-with-value',
  'swap-with-index',
  'new-user-password',
]);

/** What an etcdctl command does with the key named after it; commands not listed touch no key of the keyspace. */
const KEY_COMMANDS: Record<string, ClientKeyUse['use']> = {
  watch: 'watch',
  'exec-watch': 'watch',
  get: 'read',
  ls: 'read',
  put: 'write',
  set: 'write',
  mk: 'write',
  mkdir: 'write',
  setdir: 'write',
  update: 'write',
  updatedir: 'write',
  del: 'write',
  rm: 'write',
  rmdir: 'write',
  lock: 'read-write',
  elect: 'read-write',
};

/**
 * etcdctl: its API (`ETCDCTL_API=2` for v2, v3 by default in 3.4), endpoints,
 * user, and the key its command uses (`watch --prefix /x/` watches the prefix
 * `/x/`). Only the key is read from the arguments: a `put`'s value, or any
 * argument of `user`/`role` commands, is never looked at.
 */
export function describeEtcdctl(facts: ProcessFacts): EtcdClientProcess {
  const line = parseCommandLine(facts.argv.slice(1), VALUED);
  const api = facts.env.get('ETCDCTL_API') === '2' ? 'v2' : 'v3';
  const endpointsFlag = listOption(line, 'endpoints', 'endpoint', 'peers', 'C');
  const endpointsEnv =
    facts.env.get('ETCDCTL_ENDPOINTS') ?? facts.env.get('ETCDCTL_ENDPOINT') ?? facts.env.get('ETCDCTL_PEERS');
  const endpoints =
    endpointsFlag.length > 0
      ? endpointsFlag
      : (endpointsEnv ?? '')
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
  // `--user name:password` or `--user name` (then --password or a prompt); v2: `--username`.
  const userSpec =
    lastOption(line, 'user', 'username', 'u') ?? facts.env.get('ETCDCTL_USER') ?? facts.env.get('ETCDCTL_USERNAME');
  const username = userSpec ? userSpec.split(':')[0] || undefined : undefined;
  const command = line.positionals[0];
  const use = command === undefined ? undefined : KEY_COMMANDS[command];
  const key = line.positionals[1];
  const prefix = line.options.has('prefix') || line.options.has('recursive') || command === 'ls';
  return {
    pid: facts.pid,
    uid: facts.uid,
    program: 'etcdctl',
    api,
    endpoints: endpoints.map(endpointWithoutUserInfo),
    credentialsSet: username !== undefined,
    username,
    clientCertificate: (lastOption(line, 'cert', 'cert-file') ?? facts.env.get('ETCDCTL_CERT')) !== undefined,
    configFile: undefined,
    configReadable: undefined,
    keys:
      use && key !== undefined
        ? [{ key, prefix, use }]
        : use && command === 'ls'
          ? [{ key: '/', prefix: true, use }]
          : [],
    patroni: undefined,
    command,
    version: facts.version,
  };
}
