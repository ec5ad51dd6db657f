import type { V2Census } from '../../core/census/etcd-census.js';
import type { KeyspaceTally } from '../../core/census/keyspace-tally.js';
import { describeError } from '../../core/errors.js';
import type { EtcdClient } from './etcd-client.js';

interface V2Node {
  key?: string;
  dir?: boolean;
  modifiedIndex?: number;
  nodes?: V2Node[];
}

export interface V2ScanOptions {
  /** Directories listed at once. */
  concurrency?: number | undefined;
  /** Nodes (keys and directories) looked at; directories past it are counted, not listed. */
  maxNodes?: number | undefined;
}

/**
 * etcd's v2 keyspace, when served (etcd 3.4 with --enable-v2; otherwise
 * `/v2/keys` answers 404), and whether v2 auth is on (`/v2/auth/enable`).
 * Listed one directory per request rather than with `?recursive=true`,
 * which would answer the whole keyspace at once: each answer is then one
 * directory, and the walk stops at `maxNodes`.
 */
export async function scanV2Keyspace(
  client: EtcdClient,
  endpoints: readonly string[],
  tally: KeyspaceTally,
  options: V2ScanOptions = {},
): Promise<Omit<V2Census, 'keyspace'>> {
  const maxNodes = options.maxNodes ?? 100_000;
  const endpoint = await firstAnswering(client, endpoints);
  if (!endpoint)
    return {
      served: false,
      authEnabled: undefined,
      readable: false,
      nodesNotVisited: 0,
      error: 'no etcd endpoint answered',
    };
  const base = endpoint.replace(/\/+$/, '');
  const root = await client.httpGet(`${base}/v2/keys/`);
  if (root.statusCode === 404)
    return { served: false, authEnabled: undefined, readable: false, nodesNotVisited: 0, error: undefined };
  const authEnabled = await v2AuthEnabled(client, base);
  if (root.statusCode !== 200) {
    return {
      served: true,
      authEnabled,
      readable: false,
      nodesNotVisited: 0,
      error: `/v2/keys/ answered HTTP ${root.statusCode}`,
    };
  }
  let visited = 0;
  let pending: V2Node[] = [parseNode(root.text)];
  let notVisited = 0;
  try {
    while (pending.length > 0) {
      const directories: string[] = [];
      for (const directory of pending) {
        for (const node of directory.nodes ?? []) {
          visited += 1;
          if (node.dir) {
            if (visited <= maxNodes) directories.push(node.key ?? '/');
            else notVisited += 1;
          } else if (node.key !== undefined) {
            tally.add({ key: node.key, modRevision: node.modifiedIndex ?? 0 });
          }
        }
      }
      pending = await listDirectories(client, base, directories, options.concurrency ?? 4);
    }
  } catch (error) {
    return { served: true, authEnabled, readable: false, nodesNotVisited: notVisited, error: describeError(error) };
  }
  return { served: true, authEnabled, readable: true, nodesNotVisited: notVisited, error: undefined };
}

async function listDirectories(
  client: EtcdClient,
  base: string,
  directories: readonly string[],
  concurrency: number,
): Promise<V2Node[]> {
  const listed: V2Node[] = [];
  for (let start = 0; start < directories.length; start += concurrency) {
    const batch = directories.slice(start, start + concurrency);
    const answers = await Promise.all(
      batch.map((directory) => client.httpGet(`${base}/v2/keys${encodePath(directory)}`)),
    );
    for (const [index, answer] of answers.entries()) {
      // A directory removed since its parent was listed is simply gone.
      if (answer.statusCode === 404) continue;
      if (answer.statusCode !== 200) throw new Error(`/v2/keys${batch[index]} answered HTTP ${answer.statusCode}`);
      listed.push(parseNode(answer.text));
    }
  }
  return listed;
}

async function v2AuthEnabled(client: EtcdClient, base: string): Promise<boolean | undefined> {
  try {
    const answer = await client.httpGet(`${base}/v2/auth/enable`);
    if (answer.statusCode !== 200) return undefined;
    const parsed = JSON.parse(answer.text) as { enabled?: unknown };
    return typeof parsed.enabled === 'boolean' ? parsed.enabled : undefined;
  } catch {
    return undefined;
  }
}

async function firstAnswering(client: EtcdClient, endpoints: readonly string[]): Promise<string | undefined> {
  for (const endpoint of endpoints) {
    try {
      await client.httpGet(`${endpoint.replace(/\/+$/, '')}/version`);
      return endpoint;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

function parseNode(text: string): V2Node {
  const parsed = JSON.parse(text) as { node?: V2Node };
  return parsed.node ?? {};
}

function encodePath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
