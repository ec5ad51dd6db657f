import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PgfleetError } from '../core/errors.js';
import type { FleetMember } from '../core/migration/fleet-member.js';
import type { PatroniConfig } from '../core/patroni-config/build-config.js';
import { restAccessFromPatroniConfig } from '../core/restapi/rest-client-access.js';
import type { PatroniRestCredentials } from '../adapters/patroni/rest-client.js';

/** An instance whose Patroni YAML pgfleet manages on this host, as read from that file. */
export interface LocalInstance {
  name: string;
  configFile: string;
  config: PatroniConfig;
  scope: string;
  namespace: string;
  node: string;
  restUrl: string;
  restCredentials: PatroniRestCredentials;
  /** The DCS section in use: `etcd3` (v3 API) or `etcd` (v2). */
  dcsSection: 'etcd3' | 'etcd';
  etcdUsername: string | undefined;
  owner: { uid: number; gid: number };
  /** stdout/stderr of its Patroni daemon, when known. */
  logFile?: string | undefined;
}

/** Reads every `*.yaml` in the Patroni configuration directory. */
export async function listLocalInstances(configDir: string, logDir?: string): Promise<LocalInstance[]> {
  const entries = await readdir(configDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const instances: LocalInstance[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.yaml') || entry.startsWith('.')) continue;
    const instance = await readLocalInstance(join(configDir, entry));
    instances.push(logDir ? { ...instance, logFile: join(logDir, `${instance.name}.log`) } : instance);
  }
  return instances;
}

export async function readLocalInstance(configFile: string): Promise<LocalInstance> {
  const [text, info] = await Promise.all([readFile(configFile, 'utf8'), stat(configFile)]);
  let config: PatroniConfig;
  try {
    config = parse(text, { version: '1.1' }) as PatroniConfig;
  } catch (error) {
    throw new PgfleetError(
      'INSTANCE_CONFIG_INVALID',
      `${configFile}: not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : 'parse error'})`,
      { hint: 'restore it or recreate the instance' },
    );
  }
  const restapi = (config.restapi ?? {}) as Record<string, unknown>;
  const dcsSection = config.etcd3 ? 'etcd3' : 'etcd';
  const dcs = (config[dcsSection] ?? {}) as Record<string, unknown>;
  const connectAddress = String(restapi.connect_address ?? restapi.listen ?? '');
  const { baseUrl, ...restCredentials } = restAccessFromPatroniConfig(config);
  const name = String(config.name ?? '');
  if (!config.scope || !name || !connectAddress) {
    throw new PgfleetError(
      'INSTANCE_CONFIG_INVALID',
      `${configFile}: scope, name and restapi.connect_address are required`,
      { hint: 'restore it or recreate the instance' },
    );
  }
  return {
    name: configFile
      .split('/')
      .pop()!
      .replace(/\.yaml$/, ''),
    configFile,
    config,
    scope: String(config.scope),
    namespace: normaliseNamespace(String(config.namespace ?? '/service/')),
    node: name,
    // What patronictl with this YAML uses: pgfleet's client must succeed or fail with it.
    restUrl: baseUrl,
    restCredentials,
    dcsSection,
    etcdUsername: typeof dcs.username === 'string' ? dcs.username : undefined,
    owner: { uid: info.uid, gid: info.gid },
  };
}

function normaliseNamespace(namespace: string): string {
  const withLeading = namespace.startsWith('/') ? namespace : `/${namespace}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}

/** A member of this host as the fleet code sees members (no api_url or role known from here). */
export function asFleetMember(instance: Pick<LocalInstance, 'namespace' | 'scope' | 'node'>): FleetMember {
  return {
    namespace: instance.namespace,
    scope: instance.scope,
    name: instance.node,
    apiUrl: undefined,
    role: undefined,
    managedHere: true,
  };
}
