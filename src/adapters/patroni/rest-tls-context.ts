import { readFileSync, statSync } from 'node:fs';
import { type SecureContext, createSecureContext } from 'node:tls';
import { PgfleetError } from '../../core/errors.js';

export interface RestClientTlsFiles {
  cafile?: string | undefined;
  certfile?: string | undefined;
  keyfile?: string | undefined;
}

/** What undici's connector passes to tls.connect for these files. */
export type RestClientTlsOptions = { secureContext: SecureContext } | { ca?: Buffer; cert?: Buffer; key?: Buffer };

const contexts = new Map<string, SecureContext>();

/**
 * The TLS material of a REST API client, as one SecureContext per set of
 * files, shared by every client of the process. Patroni 3.0.2 closes each
 * REST connection after one answer, so every call is a new handshake, and
 * a context built from the files for each (parsing the CA, the certificate
 * and the key) cost about a millisecond of CPU per call: most of a
 * fleet-wide audit's time over TLS. Keyed by each file's path, size and
 * mtime, so replaced (rotated) files get a new context. Files a context
 * cannot be built from (a key that does not match its certificate) are
 * passed as they are, so the failure shows at connection time as before.
 */
export function restClientTlsOptions(files: RestClientTlsFiles): RestClientTlsOptions {
  const entries = (['cafile', 'certfile', 'keyfile'] as const)
    .filter((name) => files[name])
    .map((name) => ({ name, path: files[name]!, what: WHAT[name] }));
  if (entries.length === 0) return {};
  const key = entries.map((entry) => `${entry.name}=${entry.path}@${identity(entry.path, entry.what)}`).join('\n');
  const cached = contexts.get(key);
  if (cached) return { secureContext: cached };
  const material = {
    ...(files.cafile ? { ca: readClientFile(files.cafile, WHAT.cafile) } : {}),
    ...(files.certfile ? { cert: readClientFile(files.certfile, WHAT.certfile) } : {}),
    ...(files.keyfile ? { key: readClientFile(files.keyfile, WHAT.keyfile) } : {}),
  };
  let context: SecureContext;
  try {
    context = createSecureContext(material);
  } catch {
    return material;
  }
  contexts.set(key, context);
  return { secureContext: context };
}

const WHAT = { cafile: 'CA certificate', certfile: 'client certificate', keyfile: 'client key' } as const;

function identity(path: string, what: string): string {
  try {
    const info = statSync(path);
    return `${info.size}:${info.mtimeMs}:${info.ino}`;
  } catch (error) {
    throw unreadable(path, what, error);
  }
}

function readClientFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw unreadable(path, what, error);
  }
}

function unreadable(path: string, what: string, error: unknown): PgfleetError {
  return new PgfleetError(
    'REST_CLIENT_FILE_UNREADABLE',
    `cannot read the ${what} ${path} for the Patroni REST API client (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    {
      hint: "pgfleet uses the files of the member's YAML (ctl, else restapi), as patronictl does: check they exist and this user can read them",
    },
  );
}
