import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { type SecureContext, createSecureContext } from 'node:tls';
import { Agent, buildConnector, request } from 'undici';
import { PgfleetError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { classifyProbeAttempt, type ProbeAttempt } from '../../core/restapi/probe-classification.js';
import {
  type ExpectedOutcome,
  type MatrixCell,
  type MatrixMismatch,
  type ObservedCell,
  PROBE_CLIENTS,
  PROBE_ENDPOINTS,
  PROBE_REQUESTS,
  type ProbeClient,
  type ProbeEndpoint,
  type RestApiProtection,
  compareProbeMatrix,
  expectedMatrix,
} from '../../core/restapi/probe-matrix.js';

/**
 * Probes one member's Patroni REST API as each kind of client and records
 * what it can do on GET /patroni and an empty PATCH /config (an unsafe call
 * that writes nothing: see PROBE_REQUESTS). Each probe has its own undici Agent, so no
 * connection or TLS session is shared between clients: a session opened with
 * a client certificate must not vouch for the anonymous probe.
 */
export interface RestProbeCredentials {
  /** CA that signed the REST API server certificate; without it, the system store. */
  cafile?: string | undefined;
  /** A client certificate the REST API's cafile trusts (patroni.ctl certfile/keyfile). */
  certfile?: string | undefined;
  keyfile?: string | undefined;
  /** restapi.authentication. */
  username?: string | undefined;
  password?: Secret | undefined;
}

export interface RestProbeOptions {
  timeoutMs?: number;
  clients?: readonly ProbeClient[];
  endpoints?: readonly ProbeEndpoint[];
}

interface ClientMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  authorization?: string;
}

/** Runs every probe, one after the other; clients whose credentials were not given are `skipped`. */
export async function probeRestApi(
  baseUrl: string,
  credentials: RestProbeCredentials,
  options: RestProbeOptions = {},
): Promise<ObservedCell[]> {
  const base = baseUrl.replace(/\/+$/, '');
  const material = await loadMaterial(credentials);
  const observed: ObservedCell[] = [];
  for (const client of options.clients ?? PROBE_CLIENTS) {
    const setup = clientSetup(client, material);
    for (const endpoint of options.endpoints ?? PROBE_ENDPOINTS) {
      if (!setup) {
        observed.push({ client, endpoint, outcome: 'skipped', detail: missingFor(client) });
        continue;
      }
      const classification = classifyProbeAttempt(
        await attempt(base, endpoint, setup, options.timeoutMs ?? 5_000),
        endpoint,
      );
      observed.push({ client, endpoint, ...classification });
    }
  }
  return observed;
}

export interface RestProbeReport {
  url: string;
  protection: RestApiProtection;
  expected: Array<MatrixCell<ExpectedOutcome>>;
  observed: ObservedCell[];
  mismatches: MatrixMismatch[];
}

/** Probes and compares with the matrix expected for `protection`. */
export async function probeRestApiMatrix(
  baseUrl: string,
  protection: RestApiProtection,
  credentials: RestProbeCredentials,
  options: RestProbeOptions = {},
): Promise<RestProbeReport> {
  const observed = await probeRestApi(baseUrl, credentials, options);
  const probed = [...new Set(observed.map((cell) => cell.client))];
  return {
    url: baseUrl,
    protection,
    expected: expectedMatrix(protection, probed),
    observed,
    mismatches: compareProbeMatrix(protection, observed),
  };
}

interface ClientSetup {
  tls: {
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    rejectUnauthorized: boolean;
    secureContext?: SecureContext;
    checkServerIdentity?: () => undefined;
  };
  authorization: string | undefined;
}

let anonymousContext: SecureContext | undefined;

/**
 * The anonymous client's TLS: no CA, no certificate, the server not
 * verified. Holding no material, one context serves every anonymous probe
 * (building one per connection was most of a fleet audit's CPU over TLS);
 * it carries no session from one probe to the next (no session is ever
 * given to tls.connect, and the connector caches none). Nor is the server's
 * name checked: unverified, the result would be ignored.
 */
function anonymousTls(): ClientSetup['tls'] {
  anonymousContext ??= createSecureContext();
  return { rejectUnauthorized: false, secureContext: anonymousContext, checkServerIdentity: () => undefined };
}

function clientSetup(client: ProbeClient, material: ClientMaterial): ClientSetup | undefined {
  const trust = material.ca ? { ca: material.ca } : {};
  const certificate = material.cert && material.key ? { cert: material.cert, key: material.key } : undefined;
  switch (client) {
    case 'anonymous':
      return { tls: anonymousTls(), authorization: undefined };
    case 'ca-only':
      return { tls: { ...trust, rejectUnauthorized: true }, authorization: undefined };
    case 'client-cert':
      return certificate
        ? { tls: { ...trust, ...certificate, rejectUnauthorized: true }, authorization: undefined }
        : undefined;
    case 'basic-auth':
      return material.authorization
        ? { tls: { ...trust, rejectUnauthorized: true }, authorization: material.authorization }
        : undefined;
    case 'client-cert-and-basic-auth':
      return certificate && material.authorization
        ? { tls: { ...trust, ...certificate, rejectUnauthorized: true }, authorization: material.authorization }
        : undefined;
  }
}

function missingFor(client: ProbeClient): string {
  if (client === 'client-cert') return 'no client certificate and key given';
  if (client === 'basic-auth') return 'no basic auth username and password given';
  return 'no client certificate, or no basic auth credentials, given';
}

async function attempt(
  base: string,
  endpoint: ProbeEndpoint,
  setup: ClientSetup,
  timeoutMs: number,
): Promise<ProbeAttempt> {
  const socketCodes: string[] = [];
  const connector = buildConnector({ ...setup.tls, timeout: timeoutMs, maxCachedSessions: 0 });
  const dispatcher = new Agent({
    connect: (options, callback) =>
      connector(options, (...args) => {
        const [error, socket] = args;
        if (error) socketCodes.push(codeOf(error));
        // The alert that refuses a TLS 1.3 handshake arrives as a socket error undici then reports as "other side closed".
        else (socket as Socket).prependListener('error', (socketError: Error) => socketCodes.push(codeOf(socketError)));
        callback(...args);
      }),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 0,
  });
  const { method, path, body: requestBody } = PROBE_REQUESTS[endpoint];
  try {
    const response = await request(`${base}${path}`, {
      method,
      dispatcher,
      headers: {
        connection: 'close',
        ...(requestBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(setup.authorization ? { authorization: setup.authorization } : {}),
      },
      ...(requestBody !== undefined ? { body: requestBody } : {}),
    });
    const body = await response.body.text();
    return { kind: 'response', status: response.statusCode, body };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      kind: 'error',
      codes: [codeOf(error), ...(cause ? [codeOf(cause)] : []), ...socketCodes],
      message: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await dispatcher.destroy().catch(() => undefined);
  }
}

async function loadMaterial(credentials: RestProbeCredentials): Promise<ClientMaterial> {
  const material: ClientMaterial = {};
  if (credentials.cafile) material.ca = await readProbeFile(credentials.cafile, 'CA certificate');
  if (credentials.certfile && credentials.keyfile) {
    material.cert = await readProbeFile(credentials.certfile, 'client certificate');
    material.key = await readProbeFile(credentials.keyfile, 'client key');
  }
  if (credentials.username !== undefined && credentials.password !== undefined) {
    material.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString('base64')}`;
  }
  return material;
}

async function readProbeFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new PgfleetError(
      'REST_PROBE_FILE_UNREADABLE',
      `REST API probe: cannot read the ${what} ${path} (${codeOf(error) || 'error'})`,
      {
        hint: 'give the files pgfleet uses to reach the REST API (patroni.ctl cacert/certfile/keyfile in the site settings)',
      },
    );
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : '';
}
