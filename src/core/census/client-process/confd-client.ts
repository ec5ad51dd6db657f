import { lastOption, listOption, parseCommandLine } from './command-line.js';
import {
  type ClientKeyUse,
  type EtcdApiVersion,
  type EtcdClientProcess,
  type ProcessFacts,
  endpointWithoutUserInfo,
} from './etcd-client-process.js';
import { tomlSettings } from './toml-settings.js';

/** confd's flags that take a value (Go's flag package: `-name value`, `--name=value`). */
const VALUED = new Set([
  'backend',
  'node',
  'username',
  'password',
  'prefix',
  'confdir',
  'config-file',
  'interval',
  'scheme',
  'srv-domain',
  'srv-record',
  'client-cert',
  'client-key',
  'client-ca-keys',
  'auth-token',
  'auth-type',
  'log-level',
  'table',
  'separator',
  'app-id',
  'user-id',
  'role-id',
  'secret-id',
  'path',
  'file',
]);
const DEFAULT_CONFDIR = '/etc/confd';

/** confd's configuration file: `-config-file`, by default `<confdir>/confd.toml`. */
export function confdConfigPath(facts: Pick<ProcessFacts, 'argv'>): string {
  const line = parseCommandLine(facts.argv.slice(1), VALUED);
  return lastOption(line, 'config-file') ?? `${lastOption(line, 'confdir') ?? DEFAULT_CONFDIR}/confd.toml`;
}

/** Where confd's templates are: `<confdir>/conf.d/`, confdir from the flag, else from the file. */
export function confdTemplateDirectory(facts: Pick<ProcessFacts, 'argv'>, configText: string | undefined): string {
  const line = parseCommandLine(facts.argv.slice(1), VALUED);
  const fromFile = configText === undefined ? undefined : tomlSettings(configText).get('confdir');
  return `${lastOption(line, 'confdir') ?? (typeof fromFile === 'string' && fromFile ? fromFile : DEFAULT_CONFDIR)}/conf.d`;
}

/**
 * confd: its backend (`etcd` is the v2 client, `etcdv3` the v3 one), nodes,
 * user, and the keys its templates read (`keys` under the global and the
 * template's `prefix`), watched with `-watch`, else polled.
 */
export function describeConfd(facts: ProcessFacts): EtcdClientProcess {
  const line = parseCommandLine(facts.argv.slice(1), VALUED);
  const file =
    facts.config?.text === undefined ? new Map<string, string | string[]>() : tomlSettings(facts.config.text);
  const fileText = (name: string): string | undefined => {
    const value = file.get(name);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const backend = lastOption(line, 'backend') ?? fileText('backend') ?? 'etcd';
  const nodes = listOption(line, 'node');
  const fileNodes = file.get('nodes');
  const endpoints = nodes.length > 0 ? nodes : Array.isArray(fileNodes) ? fileNodes : [];
  const username = lastOption(line, 'username') ?? fileText('username');
  const watch = line.options.has('watch') || fileText('watch') === 'true';
  const globalPrefix = lastOption(line, 'prefix') ?? fileText('prefix') ?? '';
  const keys: ClientKeyUse[] = [];
  for (const template of facts.included) {
    if (template.text === undefined) continue;
    const settings = tomlSettings(template.text);
    const templatePrefix = settings.get('prefix');
    const templateKeys = settings.get('keys');
    for (const key of Array.isArray(templateKeys) ? templateKeys : []) {
      keys.push({
        key: joinKey(globalPrefix, typeof templatePrefix === 'string' ? templatePrefix : '', key),
        prefix: true,
        use: watch ? 'watch' : 'read',
      });
    }
  }
  return {
    pid: facts.pid,
    uid: facts.uid,
    program: 'confd',
    api: apiOf(backend),
    endpoints: endpoints.map(endpointWithoutUserInfo),
    credentialsSet: username !== undefined && (lastOption(line, 'password') ?? fileText('password')) !== undefined,
    username,
    clientCertificate:
      (lastOption(line, 'client-cert') ?? fileText('client_cert') ?? fileText('client-cert')) !== undefined,
    configFile: facts.config?.path,
    configReadable: facts.config ? facts.config.text !== undefined : undefined,
    keys,
    patroni: undefined,
    command: undefined,
    version: facts.version,
  };
}

function apiOf(backend: string): EtcdApiVersion {
  if (backend === 'etcdv3') return 'v3';
  if (backend === 'etcd') return 'v2';
  return 'other-dcs';
}

/** confd joins its prefixes and a key with "/" and squeezes repeated slashes; a key read as a directory covers everything under it. */
function joinKey(...parts: string[]): string {
  return `/${parts.join('/')}`.replace(/\/+/g, '/');
}
