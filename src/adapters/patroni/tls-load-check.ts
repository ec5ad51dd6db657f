import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { RunningPatroni } from './patroni-process-lookup.js';
import { patroniEnvironment } from './patroni-binary.js';

/**
 * Loads TLS files the way Patroni 3.0.2 will, in its interpreter and as its
 * user, before the YAML names them. This matters: when the REST API cannot
 * load its certificate on reload, Patroni has already closed the old socket
 * and its REST API stays dead, through later reloads too, until Patroni
 * restarts (seen on 3.0.2). Paths are the only arguments; nothing secret.
 */
export interface TlsLoadRequest {
  /** server: the REST API's context (Purpose.CLIENT_AUTH, cafile for client certificates); client: PatroniRequest's. */
  side: 'server' | 'client';
  cafile?: string | undefined;
  certfile?: string | undefined;
  keyfile?: string | undefined;
}

export interface TlsLoadResult {
  ok: boolean;
  /** Python's exception, e.g. "PermissionError: [Errno 13] Permission denied". */
  error?: string | undefined;
}

const SCRIPT = `
import ssl, sys
side, cafile, certfile, keyfile = sys.argv[1:5]
try:
    if side == 'server':
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=cafile or None)
    else:
        ctx = ssl.create_default_context(cafile=cafile or None)
    if certfile:
        ctx.load_cert_chain(certfile=certfile, keyfile=keyfile or None)
except Exception as e:
    print('%s: %s' % (type(e).__name__, e))
    sys.exit(1)
print('ok')
`;

/**
 * Runs the load as `identity` (the running Patroni's uid, gid and groups,
 * through setpriv) when pgfleet is root and the identity is another user;
 * as pgfleet itself otherwise.
 */
export async function checkTlsLoadAs(
  patroniExecpath: string,
  identity: Pick<RunningPatroni, 'uid' | 'gid' | 'groups'> | undefined,
  request: TlsLoadRequest,
): Promise<TlsLoadResult> {
  const python = await interpreterOf(patroniExecpath);
  const scriptArgs = ['-c', SCRIPT, request.side, request.cafile ?? '', request.certfile ?? '', request.keyfile ?? ''];
  const asOther = identity !== undefined && process.getuid?.() === 0 && identity.uid !== 0;
  const [command, args] = asOther
    ? [
        'setpriv',
        [
          `--reuid=${identity.uid}`,
          `--regid=${identity.gid}`,
          identity.groups.length > 0 ? `--groups=${identity.groups.join(',')}` : '--clear-groups',
          '--',
          python,
          ...scriptArgs,
        ],
      ]
    : [python, scriptArgs];
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 30_000, env: patroniEnvironment() }, (error, stdout, stderr) => {
      if (!error) resolve({ ok: true });
      else
        resolve({
          ok: false,
          error: (stdout.trim() || stderr.trim() || error.message).split('\n').pop()!.slice(0, 300),
        });
    });
  });
}

/** The interpreter in the patroni script's shebang (Debian: /usr/bin/python3). */
async function interpreterOf(execpath: string): Promise<string> {
  const head = await readFile(execpath, 'utf8')
    .then((text) => text.slice(0, 200))
    .catch(() => '');
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(head);
  if (!shebang) return 'python3';
  // "#!/usr/bin/env python3"
  return shebang[1]!.endsWith('/env') && shebang[2] ? shebang[2] : shebang[1]!;
}
