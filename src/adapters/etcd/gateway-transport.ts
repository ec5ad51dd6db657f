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

  /**
   * Opens a streaming gateway call (`/v3/watch`) on the endpoint that
   * answered last and hands each JSON message to `onMessage` as it arrives,
   * one line at a time (nothing more is held). Resolves once etcd has
   * answered, with the endpoint used and a promise of the stream's end
   * (`signal` ends it).
   */
  async postStream(
    path: string,
    body: unknown,
    token: string | undefined,
    onMessage: (message: unknown) => void,
    signal: AbortSignal,
  ): Promise<{ endpoint: string; ended: Promise<void> }> {
    const endpoint = this.endpoints[this.#preferred]!;
    let response;
    try {
      response = await request(`${endpoint}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', ...(token ? { authorization: token } : {}) },
        dispatcher: this.#dispatcher,
        signal,
        // A stream stays quiet while nothing happens: no body timeout.
        bodyTimeout: 0,
      });
    } catch (error) {
      throw new EtcdError('unreachable', `${endpoint}${path}: ${networkReason(error)}`);
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw new EtcdError(
        classifyEtcdMessage(text),
        `${endpoint}${path} answered HTTP ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    const stream = response.body;
    const ended = (async () => {
      let pending = '';
      try {
        for await (const chunk of stream) {
          pending += (chunk as Buffer).toString('utf8');
          let newline = pending.indexOf('\n');
          while (newline !== -1) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line) onMessage(parseJson(line));
            newline = pending.indexOf('\n');
          }
        }
        if (pending.trim()) onMessage(parseJson(pending.trim()));
      } catch (error) {
        if (!signal.aborted) throw error;
      }
    })();
    return { endpoint, ended };
  }

  /**
   * GETs a URL of an etcd member (`/metrics`, `/v2/...`) with this transport's
   * TLS settings and timeouts: no token, no failover. A body larger than
   * `maxBytes` is cut off and refused rather than held.
   */
  async getText(
    url: string,
    options: { maxBytes?: number } = {},
  ): Promise<{ statusCode: number; text: string; headers: Record<string, string | string[] | undefined> }> {
    const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    let response;
    try {
      response = await request(url, { method: 'GET', dispatcher: this.#dispatcher });
    } catch (error) {
      throw new EtcdError('unreachable', `${url}: ${networkReason(error)}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        response.body.destroy();
        throw new EtcdError('other', `${url}: answer larger than ${maxBytes} bytes, not read`);
      }
      chunks.push(chunk as Buffer);
    }
    return { statusCode: response.statusCode, text: Buffer.concat(chunks).toString('utf8'), headers: response.headers };
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
