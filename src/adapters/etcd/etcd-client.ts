import type { Secret } from '../../core/secret.js';
import { prefixRangeEnd } from '../../core/etcd/key-range.js';
import { EtcdError } from './etcd-error.js';
import { GatewayTransport, type EtcdTlsFiles } from './gateway-transport.js';

export interface EtcdCredentials {
  username: string;
  password: Secret;
}

export interface EtcdClientOptions {
  endpoints: string[];
  credentials?: EtcdCredentials | undefined;
  tls?: EtcdTlsFiles | undefined;
  timeoutMs?: number | undefined;
}

export interface KeyValue {
  key: string;
  value: string;
  modRevision: number;
  createRevision: number;
  version: number;
  lease: string | undefined;
}

interface RawKeyValue {
  key: string;
  value?: string;
  mod_revision?: string;
  create_revision?: string;
  version?: string;
  lease?: string;
}

export interface EtcdStatus {
  endpoint: string;
  version: string;
  leader: string;
  memberId: string;
  raftTerm: number;
  dbSize: number;
}

export interface EtcdMember {
  id: string;
  name: string;
  clientUrls: string[];
  peerUrls: string[];
}

/** One condition of a transaction; all of a transaction's conditions must hold. */
export type TxnCompare =
  | { key: string; target: 'createRevision' | 'modRevision' | 'version'; result?: TxnCompareResult; value: number }
  | { key: string; target: 'value'; result?: TxnCompareResult; value: string }
  /** The lease the key is attached to ('0' for none). */
  | { key: string; target: 'lease'; result?: TxnCompareResult; value: string };

export type TxnCompareResult = 'equal' | 'notEqual' | 'greater' | 'less';

export type TxnOperation =
  | { put: { key: string; value: string; lease?: string } }
  | { get: { key: string; prefix?: boolean } }
  | { delete: { key: string; prefix?: boolean } };

export type TxnOperationResult =
  { kind: 'put' } | { kind: 'get'; kvs: KeyValue[] } | { kind: 'delete'; deleted: number };

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** One per operation of the branch that ran (success or failure), in order. */
  responses: TxnOperationResult[];
}

export interface LeaseGrant {
  id: string;
  /** The TTL etcd granted, which may be longer than asked (etcd's minimum TTL). */
  ttlSeconds: number;
}

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');
const unb64 = (value: string | undefined): string => (value ? Buffer.from(value, 'base64').toString('utf8') : '');

/**
 * A typed etcd v3 client over the JSON gateway that survives etcd auth being
 * switched on and off under it, following Patroni's own rules:
 * - with credentials, it authenticates lazily; "authentication is not enabled"
 *   means "go on without a token";
 * - on "user name is empty", "invalid auth token" or "revision of auth store is
 *   old" it drops its token, authenticates again once and retries the call;
 *   so does a call sent without a token that gets "permission denied" (as
 *   Patroni's client does: it is what etcd answers under --client-cert-auth).
 */
export class EtcdClient {
  readonly #transport: GatewayTransport;
  readonly #credentials: EtcdCredentials | undefined;
  readonly #tls: EtcdTlsFiles | undefined;
  #token: string | undefined;
  #tokenTried = false;

  constructor(options: EtcdClientOptions) {
    this.#transport = new GatewayTransport({
      endpoints: options.endpoints,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
    });
    this.#credentials = options.credentials;
    this.#tls = options.tls;
  }

  get endpoints(): string[] {
    return this.#transport.endpoints;
  }

  get username(): string | undefined {
    return this.#credentials?.username;
  }

  /** Sends a request with this client's authentication rules. */
  async call<T>(path: string, body: unknown): Promise<T> {
    await this.#ensureToken();
    try {
      return await this.#transport.post<T>(path, body, this.#token);
    } catch (error) {
      // A request sent without a token, refused once auth went on: "user name is empty", or "permission
      // denied" when etcd runs --client-cert-auth (the gateway's own certificate then names the user).
      const sentWithoutToken =
        this.#token === undefined && error instanceof EtcdError && error.kind === 'permission-denied';
      if (!(error instanceof EtcdError) || !(isStaleAuth(error) || sentWithoutToken)) throw error;
      // Without credentials there is nothing to authenticate with.
      if (!this.#credentials) throw error;
      // Auth state changed under us: authenticate again (or learn it is off) and retry once.
      this.#token = undefined;
      this.#tokenTried = false;
      await this.#ensureToken();
      return this.#transport.post<T>(path, body, this.#token);
    }
  }

  async #ensureToken(): Promise<void> {
    if (this.#tokenTried || !this.#credentials) return;
    this.#tokenTried = true;
    try {
      this.#token = await this.authenticate(this.#credentials);
    } catch (error) {
      if (error instanceof EtcdError && error.kind === 'auth-not-enabled') {
        this.#token = undefined;
        return;
      }
      this.#tokenTried = false;
      throw error;
    }
  }

  /** Authenticates and returns a token; throws EtcdError('auth-not-enabled') when auth is off. */
  async authenticate(credentials: EtcdCredentials): Promise<string> {
    const answer = await this.#transport.post<{ token: string }>('/v3/auth/authenticate', {
      name: credentials.username,
      password: credentials.password.reveal(),
    });
    return answer.token;
  }

  /**
   * Whether etcd auth is on. etcd 3.4 has no status call: authenticating with
   * credentials that cannot exist answers "not enabled" when off and
   * "authentication failed" when on.
   */
  async isAuthEnabled(): Promise<boolean> {
    try {
      await this.#transport.post('/v3/auth/authenticate', { name: 'pgfleet-auth-probe\u0000', password: 'x' });
      return true;
    } catch (error) {
      if (error instanceof EtcdError && error.kind === 'auth-not-enabled') return false;
      if (error instanceof EtcdError && (error.kind === 'authentication-failed' || error.kind === 'user-not-found'))
        return true;
      throw error;
    }
  }

  /** The token currently held, for telling simple tokens from JWT. */
  get token(): string | undefined {
    return this.#token;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const answer = await this.call<{ kvs?: RawKeyValue[] }>('/v3/kv/range', { key: b64(key) });
    const raw = answer.kvs?.[0];
    return raw ? toKeyValue(raw) : undefined;
  }

  async getPrefix(prefix: string, options: { keysOnly?: boolean; limit?: number } = {}): Promise<KeyValue[]> {
    const answer = await this.call<{ kvs?: RawKeyValue[] }>('/v3/kv/range', {
      key: b64(prefix),
      range_end: b64(prefixRangeEnd(prefix)),
      ...(options.keysOnly ? { keys_only: true } : {}),
      ...(options.limit ? { limit: options.limit } : {}),
    });
    return (answer.kvs ?? []).map(toKeyValue);
  }

  async put(key: string, value: string): Promise<number> {
    const answer = await this.call<{ header: { revision: string } }>('/v3/kv/put', {
      key: b64(key),
      value: b64(value),
    });
    return Number(answer.header.revision);
  }

  /** Deletes one key, or every key under it with `prefix`. Returns how many were deleted. */
  async delete(key: string, options: { prefix?: boolean } = {}): Promise<number> {
    const answer = await this.call<{ deleted?: string }>('/v3/kv/deleterange', {
      key: b64(key),
      ...(options.prefix ? { range_end: b64(prefixRangeEnd(key)) } : {}),
    });
    return Number(answer.deleted ?? 0);
  }

  /** Status of one endpoint (version, leader). */
  async status(endpoint?: string): Promise<EtcdStatus> {
    const target = endpoint ?? this.endpoints[0]!;
    const transport = endpoint
      ? new GatewayTransport({ endpoints: [endpoint], tls: this.#tls, timeoutMs: 2_000 })
      : this.#transport;
    try {
      const answer = await transport.post<{
        header: { member_id: string; raft_term?: string };
        version: string;
        leader: string;
        dbSize?: string;
      }>('/v3/maintenance/status', {});
      return {
        endpoint: target,
        version: answer.version,
        leader: answer.leader,
        memberId: answer.header.member_id,
        raftTerm: Number(answer.header.raft_term ?? 0),
        dbSize: Number(answer.dbSize ?? 0),
      };
    } finally {
      if (transport !== this.#transport) await transport.close();
    }
  }

  /** One atomic transaction: when every compare holds, the success operations run, else the failure ones. */
  async txn(request: { compare: TxnCompare[]; success: TxnOperation[]; failure?: TxnOperation[] }): Promise<TxnResult> {
    const answer = await this.call<{ header: { revision: string }; succeeded?: boolean; responses?: RawResponseOp[] }>(
      '/v3/kv/txn',
      {
        compare: request.compare.map(toRawCompare),
        success: request.success.map(toRawOperation),
        failure: (request.failure ?? []).map(toRawOperation),
      },
    );
    return {
      // proto3 JSON leaves false out.
      succeeded: answer.succeeded === true,
      revision: Number(answer.header.revision),
      responses: (answer.responses ?? []).map(fromRawResponse),
    };
  }

  async leaseGrant(ttlSeconds: number): Promise<LeaseGrant> {
    const answer = await this.call<{ ID: string; TTL?: string; error?: string }>('/v3/lease/grant', {
      TTL: ttlSeconds,
    });
    if (answer.error) throw new EtcdError('other', `lease grant failed: ${answer.error}`);
    return { id: answer.ID, ttlSeconds: Number(answer.TTL ?? 0) };
  }

  /**
   * Renews a lease once and returns the TTL etcd now gives it; 0 when etcd no
   * longer knows the lease (expired or revoked). LeaseKeepAlive is a
   * bidirectional stream: etcd 3.4's gateway reads newline-separated JSON
   * requests from the body and writes one `{"result": ...}` line per answer,
   * so a body of one request gets one answer and the call ends.
   */
  async leaseKeepAlive(id: string): Promise<number> {
    const answer = await this.call<{ result?: { TTL?: string }; error?: unknown }>('/v3/lease/keepalive', { ID: id });
    if (!answer.result)
      throw new EtcdError(
        'other',
        `lease keepalive got no answer${answer.error ? `: ${JSON.stringify(answer.error)}` : ''}`,
      );
    return Number(answer.result.TTL ?? 0);
  }

  /** Revokes a lease, deleting every key attached to it; false when etcd no longer knew it. */
  async leaseRevoke(id: string): Promise<boolean> {
    try {
      await this.call('/v3/lease/revoke', { ID: id });
      return true;
    } catch (error) {
      if (isLeaseNotFound(error)) return false;
      throw error;
    }
  }

  /** The remaining and granted TTL of a lease; undefined when etcd no longer knows it. */
  async leaseTimeToLive(id: string): Promise<{ ttlSeconds: number; grantedTtlSeconds: number } | undefined> {
    const answer = await this.call<{ TTL?: string; grantedTTL?: string }>('/v3/lease/timetolive', { ID: id });
    const ttlSeconds = Number(answer.TTL ?? 0);
    if (ttlSeconds < 0) return undefined;
    return { ttlSeconds, grantedTtlSeconds: Number(answer.grantedTTL ?? 0) };
  }

  async memberList(): Promise<EtcdMember[]> {
    const answer = await this.call<{
      members?: Array<{ ID: string; name?: string; clientURLs?: string[]; peerURLs?: string[] }>;
    }>('/v3/cluster/member/list', {});
    return (answer.members ?? []).map((member) => ({
      id: member.ID,
      name: member.name ?? '',
      clientUrls: member.clientURLs ?? [],
      peerUrls: member.peerURLs ?? [],
    }));
  }

  /** Opens a streaming call (`/v3/watch`) with this client's token; see GatewayTransport.postStream. */
  async openStream(
    path: string,
    body: unknown,
    onMessage: (message: unknown) => void,
    signal: AbortSignal,
  ): Promise<{ endpoint: string; ended: Promise<void> }> {
    await this.#ensureToken();
    return this.#transport.postStream(path, body, this.#token, onMessage, signal);
  }

  /** GETs a URL of an etcd member (`/metrics`, `/v2/keys/...`) with this client's TLS settings; no token is sent. */
  async httpGet(
    url: string,
    options: { maxBytes?: number } = {},
  ): Promise<{ statusCode: number; text: string; headers: Record<string, string | string[] | undefined> }> {
    return this.#transport.getText(url, options);
  }

  async close(): Promise<void> {
    await this.#transport.close();
  }
}

interface RawResponseOp {
  response_range?: { kvs?: RawKeyValue[] };
  response_put?: unknown;
  response_delete_range?: { deleted?: string };
}

const COMPARE_TARGET = {
  createRevision: 'CREATE',
  modRevision: 'MOD',
  version: 'VERSION',
  value: 'VALUE',
  lease: 'LEASE',
} as const;
const COMPARE_FIELD = {
  createRevision: 'create_revision',
  modRevision: 'mod_revision',
  version: 'version',
  value: 'value',
  lease: 'lease',
} as const;
const COMPARE_RESULT = { equal: 'EQUAL', notEqual: 'NOT_EQUAL', greater: 'GREATER', less: 'LESS' } as const;

function toRawCompare(compare: TxnCompare): Record<string, unknown> {
  const value = compare.target === 'value' ? b64(compare.value) : String(compare.value);
  return {
    key: b64(compare.key),
    target: COMPARE_TARGET[compare.target],
    result: COMPARE_RESULT[compare.result ?? 'equal'],
    [COMPARE_FIELD[compare.target]]: value,
  };
}

function toRawOperation(operation: TxnOperation): Record<string, unknown> {
  if ('put' in operation) {
    const { key, value, lease } = operation.put;
    return { request_put: { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) } };
  }
  if ('get' in operation) {
    const { key, prefix } = operation.get;
    return { request_range: { key: b64(key), ...(prefix ? { range_end: b64(prefixRangeEnd(key)) } : {}) } };
  }
  const { key, prefix } = operation.delete;
  return { request_delete_range: { key: b64(key), ...(prefix ? { range_end: b64(prefixRangeEnd(key)) } : {}) } };
}

function fromRawResponse(raw: RawResponseOp): TxnOperationResult {
  if (raw.response_range) return { kind: 'get', kvs: (raw.response_range.kvs ?? []).map(toKeyValue) };
  if (raw.response_delete_range) return { kind: 'delete', deleted: Number(raw.response_delete_range.deleted ?? 0) };
  return { kind: 'put' };
}

function isLeaseNotFound(error: unknown): boolean {
  return error instanceof EtcdError && error.message.includes('requested lease not found');
}

function isStaleAuth(error: EtcdError): boolean {
  return error.kind === 'user-name-empty' || error.kind === 'invalid-token' || error.kind === 'auth-revision-old';
}

function toKeyValue(raw: RawKeyValue): KeyValue {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    modRevision: Number(raw.mod_revision ?? 0),
    createRevision: Number(raw.create_revision ?? 0),
    version: Number(raw.version ?? 0),
    lease: raw.lease,
  };
}
