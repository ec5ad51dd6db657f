import { connect } from 'node:tls';
import { PgfleetError } from '../../core/errors.js';
import { type RestClientTlsFiles, restClientTlsOptions } from './rest-tls-context.js';

/**
 * The TLS handshake with a member's REST API, and nothing else: the
 * certificate the server presents (SHA-256 fingerprint, `AB:CD:…`), with the
 * client's CA and certificate as given (a server asking for a client
 * certificate checks it during the handshake). Throws when the handshake
 * fails.
 */
export async function servedCertificateFingerprint(
  baseUrl: string,
  files: RestClientTlsFiles,
  timeoutMs = 5_000,
): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port || 443),
      servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
      ...restClientTlsOptions(files),
      timeout: timeoutMs,
    });
    const fail = (error: unknown) => {
      socket.destroy();
      reject(
        new PgfleetError(
          'TLS_HANDSHAKE_FAILED',
          `TLS handshake with ${baseUrl} failed: ${error instanceof Error ? error.message : String(error)}`,
          { exitCode: 4 },
        ),
      );
    };
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.once('error', fail);
    socket.once('timeout', () => fail(new Error(`no handshake within ${timeoutMs} ms`)));
  });
}
