import { Agent, request } from 'undici';
import { type EtcdTlsFiles, tlsConnectOptions } from './gateway-transport.js';
import type { TokenType } from '../../core/migration/enforce-gates.js';

/**
 * The token type etcd runs with. With auth on, the admin's own token tells:
 * a JWT has three base64url segments, a simple token is "random.index".
 * With auth off, etcd's expvar page (/debug/vars) shows its command line;
 * without --auth-token there, etcd uses simple tokens unless ETCD_AUTH_TOKEN
 * is set in its environment, which the API cannot show: the settings may
 * declare it.
 */
export function tokenTypeFromToken(token: string): TokenType {
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token) && token.startsWith('eyJ')) return 'jwt';
  if (/^[A-Za-z]+\.\d+$/.test(token)) return 'simple';
  return 'unknown';
}

export function tokenTypeFromCommandLine(args: string[]): TokenType | undefined {
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    const value = arg.startsWith('--auth-token=')
      ? arg.slice('--auth-token='.length)
      : arg === '--auth-token'
        ? args[index + 1]
        : undefined;
    if (value !== undefined) return value.startsWith('jwt') ? 'jwt' : value === 'simple' ? 'simple' : 'unknown';
  }
  return undefined;
}

/** `tls`: the CA and client certificate an https etcd (with --client-cert-auth) asks for. */
export async function tokenTypeFromDebugVars(
  endpoint: string,
  fetchTimeoutMs = 2_000,
  tls?: EtcdTlsFiles,
): Promise<TokenType | undefined> {
  const commandLine = await etcdCommandLineFromDebugVars(endpoint, fetchTimeoutMs, tls);
  return commandLine ? (tokenTypeFromCommandLine(commandLine) ?? 'simple') : undefined;
}

/** etcd's own command line from its expvar page (/debug/vars); undefined when not exposed or unreachable. Callers redact it. */
export async function etcdCommandLineFromDebugVars(
  endpoint: string,
  fetchTimeoutMs = 2_000,
  tls?: EtcdTlsFiles,
): Promise<string[] | undefined> {
  const dispatcher = endpoint.startsWith('https:') && tls ? tlsDispatcher(tls, fetchTimeoutMs) : undefined;
  try {
    const response = await request(`${endpoint.replace(/\/+$/, '')}/debug/vars`, {
      headersTimeout: fetchTimeoutMs,
      bodyTimeout: fetchTimeoutMs,
      ...(dispatcher ? { dispatcher } : {}),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      return undefined;
    }
    const vars = (await response.body.json()) as { cmdline?: unknown };
    return Array.isArray(vars.cmdline) ? vars.cmdline.map(String) : undefined;
  } catch {
    return undefined;
  } finally {
    await dispatcher?.close();
  }
}

function tlsDispatcher(tls: EtcdTlsFiles, timeoutMs: number): Agent {
  return new Agent({ connect: { timeout: timeoutMs, ...tlsConnectOptions(tls) } });
}
