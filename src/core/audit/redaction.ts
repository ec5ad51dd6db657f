import { type ConfigTree, isPlainObject } from '../patroni-config/deep-merge.js';
import { Secret } from '../secret.js';

/** Keys whose value is a secret in a Patroni YAML (password, keyfile_password, sslpassword...), not `password_encryption`. */
const SECRET_KEY = /(?:password|passwd|secret|token)$/i;

/**
 * A copy of a parsed YAML document where every value under a password-like
 * key is a Secret: rules can tell "a password is set" without holding it in
 * a printable form.
 */
export function redactPasswords(tree: ConfigTree): ConfigTree {
  return redactValue(tree) as ConfigTree;
}

function redactValue(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && (typeof value === 'string' || typeof value === 'number'))
    return new Secret(String(value));
  if (Array.isArray(value)) return value.map((item) => redactValue(item));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  return value;
}

/** True for a non-empty secret value (as redactPasswords leaves it, or a plain string in a test). */
export function isSecretSet(value: unknown): boolean {
  if (value instanceof Secret) return value.length > 0;
  return typeof value === 'string' ? value.length > 0 : typeof value === 'number';
}

/** Every dotted path whose value is a set secret. */
export function secretPaths(tree: ConfigTree, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value instanceof Secret) {
      if (value.length > 0) paths.push(path);
    } else if (isPlainObject(value)) paths.push(...secretPaths(value, path));
    else if (Array.isArray(value))
      value.forEach((item, index) => isPlainObject(item) && paths.push(...secretPaths(item, `${path}.${index}`)));
  }
  return paths;
}

export interface RedactedCommandLine {
  args: string[];
  /** The options or forms that carried a password: `--new-user-password`, `--user (user:password)`, `URL user:password@`. */
  passwordArguments: string[];
}

/** Options naming a file or a path that holds a password, not the password itself. */
const PASSWORD_FILE_OPTION = /(?:[-_]file|[-_]path|[-_]dir)$/i;
const PASSWORD_OPTION = /^--?[A-Za-z0-9_-]*(?:password|passwd|pass|pwd)[A-Za-z0-9_-]*$/i;
const URL_CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+):([^/@\s]+)@/i;

/**
 * Replaces password values in a command line and says which arguments
 * carried one (`etcdctl --new-user-password=...`, `--user root:pw`,
 * `http://user:pw@host`): anyone on the host can read them in `ps`.
 */
export function redactCommandLine(argv: readonly string[]): RedactedCommandLine {
  const args: string[] = [];
  const found: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const equals = arg.indexOf('=');
    const name = arg.startsWith('-') ? (equals > 0 ? arg.slice(0, equals) : arg) : undefined;
    if (name && PASSWORD_OPTION.test(name) && !PASSWORD_FILE_OPTION.test(name)) {
      if (equals > 0) {
        args.push(`${name}=${REDACTED}`);
        found.push(name);
      } else if (index + 1 < argv.length && !argv[index + 1]!.startsWith('-')) {
        args.push(arg, REDACTED);
        found.push(name);
        index += 1;
      } else args.push(arg);
      continue;
    }
    if (name === '--user' || name === '-u' || name === '--username') {
      const value = equals > 0 ? arg.slice(equals + 1) : argv[index + 1];
      if (value !== undefined && value.includes(':')) {
        const user = value.slice(0, value.indexOf(':'));
        if (equals > 0) args.push(`${name}=${user}:${REDACTED}`);
        else {
          args.push(arg, `${user}:${REDACTED}`);
          index += 1;
        }
        found.push(`${name} (user:password)`);
        continue;
      }
    }
    const url = URL_CREDENTIALS.exec(arg.slice(equals + 1));
    if (url) {
      args.push(arg.replace(URL_CREDENTIALS, `$1$2:${REDACTED}@`));
      found.push('URL user:password@');
      continue;
    }
    args.push(arg);
  }
  return { args, passwordArguments: found };
}

const REDACTED = Secret.redacted;
