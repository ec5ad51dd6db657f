import { Agent, request } from 'undici';
import { PgfleetError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { restClientTlsOptions } from './rest-tls-context.js';

export interface PatroniRestCredentials {
  /** CA that signed the REST API server certificates (https). */
  cafile?: string | undefined;
  /** Client certificate and key, for verify_client optional/required. */
  certfile?: string | undefined;
  keyfile?: string | undefined;
  /** Skip server certificate verification (ctl.insecure). */
  insecure?: boolean | undefined;
  /** Basic auth for unsafe endpoints (restapi.authentication). */
  username?: string | undefined;
  password?: Secret | undefined;
}

export interface RestResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

/** GET /patroni, as Patroni 3.0.2 answers it (fields pgfleet reads). */
export interface PatroniNodeStatus {
  state: string;
  role: string;
  server_version?: number;
  postmaster_start_time?: string;
  timeline?: number;
  pending_restart?: boolean;
  pause?: boolean;
  dcs_last_seen?: number;
  patroni: { version: string; scope: string };
  xlog?: { location?: number; received_location?: number; replayed_location?: number; paused?: boolean };
  replication?: Array<{
    usename: string;
    application_name: string;
    client_addr?: string;
    state: string;
    sync_state: string;
  }>;
}

/** GET /cluster. */
export interface PatroniClusterStatus {
  members: Array<{
    name: string;
    role: string;
    state: string;
    api_url?: string;
    host?: string;
    port?: number;
    timeline?: number;
    lag?: number | string;
  }>;
  pause?: boolean;
  scope?: string;
}

/**
 * A client for one member's Patroni REST API (http or https, client
 * certificates, basic auth). It returns the status of unsafe calls rather than
 * throwing, because callers (probes, migrations) must tell 401/403/409 apart.
 */
export class PatroniRestClient {
  readonly baseUrl: string;
  readonly #dispatcher: Agent;
  readonly #authorization: string | undefined;

  constructor(baseUrl: string, credentials: PatroniRestCredentials = {}, timeoutMs = 5_000) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#dispatcher = new Agent({
      connect: {
        timeout: timeoutMs,
        ...restClientTlsOptions(credentials),
        ...(credentials.insecure ? { rejectUnauthorized: false } : {}),
      },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    this.#authorization =
      credentials.username && credentials.password
        ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString('base64')}`
        : undefined;
  }

  async send<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<RestResponse<T>> {
    let response;
    try {
      response = await request(`${this.baseUrl}${path}`, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.#authorization ? { authorization: this.#authorization } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new PgfleetError('PATRONI_UNREACHABLE', `Patroni REST API ${this.baseUrl} unreachable: ${reason(error)}`, {
        hint: 'check that Patroni runs on that node (`pgfleet instance status`) and that the REST API TLS settings match',
        exitCode: 4,
        // The transport error, for callers that tell a refused handshake from an untrusted server (the audit).
        cause: error,
      });
    }
    const text = await response.body.text();
    let parsed: unknown = text;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      // Some endpoints answer plain text (e.g. "reload scheduled").
    }
    return { status: response.statusCode, body: parsed as T, text };
  }

  async nodeStatus(): Promise<PatroniNodeStatus> {
    return this.#getOk<PatroniNodeStatus>('/patroni');
  }

  async cluster(): Promise<PatroniClusterStatus> {
    return this.#getOk<PatroniClusterStatus>('/cluster');
  }

  async dynamicConfig(): Promise<Record<string, unknown>> {
    return this.#getOk<Record<string, unknown>>('/config');
  }

  /** Patches the dynamic configuration in the DCS; 409 means the write was refused or conflicted. */
  async patchConfig(patch: Record<string, unknown>): Promise<RestResponse> {
    return this.send('PATCH', '/config', patch);
  }

  async reload(): Promise<RestResponse> {
    return this.send('POST', '/reload');
  }

  async restart(options: Record<string, unknown> = {}): Promise<RestResponse> {
    return this.send('POST', '/restart', options);
  }

  async switchover(leader: string, candidate?: string): Promise<RestResponse> {
    return this.send('POST', '/switchover', { leader, ...(candidate ? { candidate } : {}) });
  }

  async #getOk<T>(path: string): Promise<T> {
    const answer = await this.send<T>('GET', path);
    // /patroni answers 503 on a node that is not running PostgreSQL yet, with a JSON body still.
    if ((answer.status === 200 || answer.status === 503) && answer.body && typeof answer.body === 'object')
      return answer.body;
    throw new PgfleetError(
      'PATRONI_BAD_ANSWER',
      `Patroni REST API ${this.baseUrl}${path} answered HTTP ${answer.status}`,
      {
        hint:
          answer.status === 401 || answer.status === 403
            ? 'pgfleet needs the REST API credentials (patroni.ctl / restapi.authentication settings)'
            : undefined,
        exitCode: 4,
      } as never,
    );
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = (error as { code?: string } | undefined)?.code;
  return cause?.code ?? cause?.message ?? code ?? (error instanceof Error ? error.message : String(error));
}
