import { Agent, request } from 'undici';
import { EtcdError } from './etcd-error.js';
import { type EtcdTlsFiles, tlsConnectOptions } from './gateway-transport.js';

/** One key of etcd's v2 keyspace. */
export interface V2Key {
  key: string;
  value: string;
  /** Seconds left before the key expires (Patroni's leader and member keys); undefined for a durable key. */
  ttl: number | undefined;
  modifiedIndex: number;
}

interface V2Node {
  key?: string;
  value?: string;
  dir?: boolean;
  ttl?: number;
  modifiedIndex?: number;
  nodes?: V2Node[];
}

/**
 * etcd's v2 keys API (`/v2/keys`, served by etcd 3.4 with --enable-v2) for
 * one Patroni cluster's directory: read it whole, delete it. v2 has its own
 * auth, apart from v3's; this client sends no credentials, so it works where
 * v2 auth is off (pgfleet refuses to move a cluster otherwise). Each endpoint
 * is tried in turn.
 */
export class V2Keys {
  readonly #endpoints: string[];
  readonly #dispatcher: Agent;

  constructor(options: { endpoints: string[]; tls?: EtcdTlsFiles | undefined; timeoutMs?: number | undefined }) {
    this.#endpoints = options.endpoints.map((endpoint) => endpoint.replace(/\/+$/, ''));
    const timeoutMs = options.timeoutMs ?? 5_000;
    this.#dispatcher = new Agent({
      connect: { timeout: timeoutMs, ...tlsConnectOptions(options.tls) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  /** Whether etcd serves v2 at all (etcd 3.4 answers 404 without --enable-v2), and whether v2 auth is on. */
  async served(): Promise<{ served: boolean; authEnabled: boolean | undefined }> {
    const root = await this.#send('GET', '/v2/keys/');
    if (root.statusCode === 404) return { served: false, authEnabled: undefined };
    const auth = await this.#send('GET', '/v2/auth/enable').catch(() => undefined);
    const enabled =
      auth?.statusCode === 200 ? (parse(auth.text) as { enabled?: unknown } | undefined)?.enabled : undefined;
    return { served: true, authEnabled: typeof enabled === 'boolean' ? enabled : undefined };
  }

  /**
   * Every key under a directory (`/service/alpha`), one recursive read;
   * empty when the directory does not exist.
   */
  async readTree(directory: string): Promise<V2Key[]> {
    const answer = await this.#send('GET', `/v2/keys${encodePath(directory)}?recursive=true&quorum=true`);
    if (answer.statusCode === 404) return [];
    if (answer.statusCode !== 200)
      throw new EtcdError(
        'other',
        `v2 read of ${directory} answered HTTP ${answer.statusCode}: ${answer.text.slice(0, 200)}`,
      );
    const keys: V2Key[] = [];
    const walk = (node: V2Node): void => {
      if (node.dir) for (const child of node.nodes ?? []) walk(child);
      else if (node.key !== undefined)
        keys.push({ key: node.key, value: node.value ?? '', ttl: node.ttl, modifiedIndex: node.modifiedIndex ?? 0 });
    };
    walk((parse(answer.text) as { node?: V2Node } | undefined)?.node ?? {});
    return keys.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Deletes a directory and everything under it; false when it did not exist. */
  async deleteTree(directory: string): Promise<boolean> {
    const answer = await this.#send('DELETE', `/v2/keys${encodePath(directory)}?recursive=true&dir=true`);
    if (answer.statusCode === 404) return false;
    if (answer.statusCode !== 200 && answer.statusCode !== 202)
      throw new EtcdError(
        'other',
        `v2 delete of ${directory} answered HTTP ${answer.statusCode}: ${answer.text.slice(0, 200)}`,
      );
    return true;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #send(method: 'GET' | 'DELETE', path: string): Promise<{ statusCode: number; text: string }> {
    const failures: string[] = [];
    for (const endpoint of this.#endpoints) {
      try {
        const response = await request(`${endpoint}${path}`, { method, dispatcher: this.#dispatcher });
        return { statusCode: response.statusCode, text: await response.body.text() };
      } catch (error) {
        failures.push(`${endpoint}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new EtcdError('unreachable', `etcd unreachable for ${method} ${path.split('?')[0]}: ${failures.join('; ')}`);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function encodePath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
