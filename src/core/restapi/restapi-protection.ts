import type { RestApiProtection, VerifyClient } from './probe-matrix.js';

/**
 * The protection a member's `restapi` section (its Patroni YAML) asks for,
 * read the way Patroni 3.0.2 reads it: https when certfile is set;
 * verify_client lower-cased, an unknown value leaving the ssl default
 * (CERT_NONE for a server context); basic auth when `authentication` has a
 * username and a password.
 */
export function restApiProtectionOf(restapi: Record<string, unknown> | undefined): RestApiProtection {
  const section = restapi ?? {};
  const tls = typeof section.certfile === 'string' && section.certfile.length > 0;
  const raw = typeof section.verify_client === 'string' ? section.verify_client.toLowerCase() : 'none';
  const verifyClient: VerifyClient = raw === 'optional' || raw === 'required' ? raw : 'none';
  const authentication = section.authentication as { username?: unknown; password?: unknown } | undefined;
  const basicAuth = Boolean(
    authentication &&
    typeof authentication === 'object' &&
    authentication.username !== undefined &&
    authentication.password !== undefined,
  );
  return { tls, verifyClient, basicAuth };
}

/** "https, verify_client optional, basic auth": for reports. */
export function describeProtection(protection: RestApiProtection): string {
  const parts = [protection.tls ? 'https' : 'http'];
  if (protection.tls) parts.push(`verify_client ${protection.verifyClient}`);
  else if (protection.verifyClient !== 'none')
    parts.push(`verify_client ${protection.verifyClient} (ignored without TLS)`);
  parts.push(protection.basicAuth ? 'basic auth' : 'no basic auth');
  return parts.join(', ');
}
