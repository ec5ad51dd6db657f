import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { EtcdError, classifyEtcdMessage } from './etcd-error.js';

export interface EtcdTlsFiles {
  /** CA bundle that signed the etcd server certificates. */
  cacert?: string | undefined;
  /** Client certificate and key, for etcd's --client-cert-auth. */
  cert?: string | undefined;
  key?: string | undefined;
}

export interface GatewayTransportOptions {
  /** Base URLs such as http://127.0.0.1:2379 */
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  timeoutMs?: number | undefined;
}

/** The TLS part of an undici connection to etcd: its CA, and the client certificate and key. */
export function tlsConnectOptions(tls: EtcdTlsFiles | undefined): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return {
    ...(tls?.cacert ? { ca: readFileSync(tls.cacert) } : {}),
    ...(tls?.cert ? { cert: readFileSync(tls.cert) } : {}),
    ...(tls?.key ? { key: readFileSync(tls.key) } : {}),
  };
}

/**
 * POSTs JSON to etcd's v3 gateway (`/v3/...`), trying each endpoint in turn
 * when one cannot be reached, and turning etcd's error bodies into EtcdError.
 * The endpoint that answered last is tried first next time.
 */
export class GatewayTransport {
  readonly endpoints: string[];
  readonly #dispatcher: Agent;
  readonly #timeoutMs: number;
  #preferred = 0;

  constructor(options: GatewayTransportOptions) {
    if (options.endpoints.length === 0)
      throw new EtcdError('other', 'no etcd endpoint given', { hint: 'set patroni.etcd.hosts in the settings' });
    this.endpoints = options.endpoints.map((endpoint) => endpoint.replace(/\/+$/, ''));
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    const tls = options.tls;
    this.#dispatcher = new Agent({
      connect: { timeout: this.#timeoutMs, ...tlsConnectOptions(tls) },
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async post<T>(path: string, body: unknown, token?: string): Promise<T> {
    const failures: string[] = [];
    for (let attempt = 0; attempt < this.endpoints.length; attempt += 1) {
      const index = (this.#preferred + attempt) % this.endpoints.length;
      const endpoint = this.endpoints[index]!;
      let statusCode: number;
      let text: string;
      try {
        const response = await request(`${endpoint}${path}`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
          dispatcher: this.#dispatcher,
        });
        statusCode = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        failures.push(`${endpoint}: ${networkReason(error)}`);
        continue;
      }
      this.#preferred = index;
      const parsed = parseJson(text);
      if (
        statusCode >= 200 &&
        statusCode < 300 &&
        parsed &&
        typeof parsed === 'object' &&
        !('error' in parsed && 'code' in parsed)
      ) {
        return parsed as T;
      }
      const message =
        parsed && typeof parsed === 'object' && 'message' in parsed
          ? String((parsed as { message: unknown }).message)
          : `HTTP ${statusCode}: ${text.slice(0, 200)}`;
      const grpcCode =
        parsed && typeof parsed === 'object' && 'code' in parsed
          ? Number((parsed as { code: unknown }).code)
          : undefined;
      // An unavailable member (no leader, stopping) is worth trying the next endpoint.
      if (grpcCode === 14 || statusCode === 503) {
        failures.push(`${endpoint}: ${message}`);
        continue;
      }
      throw new EtcdError(classifyEtcdMessage(message), message, {
        ...(grpcCode === undefined ? {} : { grpcCode }),
        endpoint,
      });
    }
    throw new EtcdError('unreachable', `etcd unreachable: ${failures.join('; ')}`);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    if (cause && typeof cause.code === 'string') return cause.code;
    if (cause && typeof cause.message === 'string') return cause.message;
    if (error instanceof Error) return error.message;
  }
  return String(error);
}
