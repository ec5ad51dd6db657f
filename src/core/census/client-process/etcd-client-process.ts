/** The etcd clients pgfleet recognises among a host's processes. */
export const ETCD_CLIENT_PROGRAMS = ['patroni', 'patronictl', 'vip-manager', 'confd', 'etcdctl'] as const;
export type EtcdClientProgram = (typeof ETCD_CLIENT_PROGRAMS)[number];

/** Which etcd API a client speaks: v2 keys are a keyspace of their own, not covered by v3 auth. */
export type EtcdApiVersion = 'v2' | 'v3' | 'unknown' | 'other-dcs';

/** A key or a prefix a client uses, and how. */
export interface ClientKeyUse {
  key: string;
  prefix: boolean;
  use: 'read' | 'watch' | 'write' | 'read-write';
}

/**
 * An etcd client found running on a host, described from its command line,
 * environment and configuration file. Never carries a password: only whether
 * credentials are set, and the user name.
 */
export interface EtcdClientProcess {
  pid: number;
  /** The process's user id. */
  uid: number;
  program: EtcdClientProgram;
  api: EtcdApiVersion;
  /** Where it talks to etcd; empty when it relies on its built-in default. */
  endpoints: string[];
  credentialsSet: boolean;
  username: string | undefined;
  clientCertificate: boolean;
  /** The configuration file it was started with, when it has one. */
  configFile: string | undefined;
  /** False when the file could not be read (permissions, gone): what it says is then unknown. */
  configReadable: boolean | undefined;
  keys: ClientKeyUse[];
  /** For Patroni (and patronictl): the cluster and member its configuration names. */
  patroni: { namespace: string; scope: string | undefined; name: string | undefined } | undefined;
  /** etcdctl's or patronictl's sub-command (`watch`, `list`). */
  command: string | undefined;
  /** The program's version when the host's packages tell it (vip-manager's API depends on it). */
  version: string | undefined;
}

/** What the adapter read about one process, for the parsers to describe it. */
export interface ProcessFacts {
  pid: number;
  uid: number;
  program: EtcdClientProgram;
  /** The command line, interpreter stripped: argv[0] is the program. */
  argv: string[];
  /** The process's environment, only the variables of the program's own prefixes. */
  env: ReadonlyMap<string, string>;
  /** Its configuration file: path and text (undefined text: unreadable). */
  config: { path: string; text: string | undefined } | undefined;
  /** Further files its configuration points to (confd's templates). */
  included: Array<{ path: string; text: string | undefined }>;
  version: string | undefined;
}

/**
 * Which known client a command line is, if any. Patroni and patronictl are
 * Python scripts: the kernel runs them as `python3 /usr/bin/patroni ...`.
 * Returns the argv with the interpreter removed.
 */
export function identifyEtcdClient(
  argv: readonly string[],
): { program: EtcdClientProgram; argv: string[] } | undefined {
  if (argv.length === 0) return undefined;
  let args = [...argv];
  if (/^python[\d.]*$/.test(basename(args[0]!))) {
    args = args.slice(1);
    while (args[0]?.startsWith('-')) args = args.slice(1);
  }
  const name = basename(args[0] ?? '');
  if (name === 'patroni' || name === 'patronictl' || name === 'confd' || name === 'etcdctl')
    return { program: name, argv: args };
  if (/^vip-manager\d*$/.test(name)) return { program: 'vip-manager', argv: args };
  return undefined;
}

/** The environment variables a program's parser needs; the adapter keeps nothing else. */
export function environmentOfInterest(program: EtcdClientProgram, name: string): boolean {
  switch (program) {
    case 'patroni':
    case 'patronictl':
      return (
        /^PATRONI_(?:ETCD3?_|NAMESPACE$|SCOPE$|NAME$|CONFIGURATION$)/.test(name) ||
        ['PATRONICTL_CONFIG_FILE', 'DCS_URL', 'HOME', 'XDG_CONFIG_HOME'].includes(name)
      );
    case 'vip-manager':
      return name.startsWith('VIP_') || name.startsWith('ETCD_');
    case 'confd':
      return name.startsWith('CONFD_');
    case 'etcdctl':
      return name.startsWith('ETCDCTL_');
  }
}

/** A URL without its user information: endpoints are reported, passwords never. */
export function endpointWithoutUserInfo(endpoint: string): string {
  return endpoint.trim().replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
