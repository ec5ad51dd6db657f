import { readdir, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AuditedProgram, ProcessFacts } from '../core/audit/fleet-snapshot.js';
import { redactCommandLine } from '../core/audit/redaction.js';

/** The ETCD_* variables the rules read; nothing else of a process environment is kept. */
const ETCD_ENVIRONMENT = [
  'ETCD_CLIENT_CERT_AUTH',
  'ETCD_TRUSTED_CA_FILE',
  'ETCD_AUTH_TOKEN',
  'ETCD_LISTEN_CLIENT_URLS',
];

/**
 * The etcd, etcdctl, patroni, patronictl and pgfleet processes running on
 * this host, from /proc/PID/cmdline, with password values replaced before
 * they leave this function (the snapshot never holds one).
 */
export async function scanProcesses(procDir = '/proc', selfPid = process.pid): Promise<ProcessFacts[]> {
  const found: ProcessFacts[] = [];
  for (const entry of await readdir(procDir)) {
    if (!/^\d+$/.test(entry) || Number(entry) === selfPid) continue;
    let raw: string;
    try {
      raw = await readFile(`${procDir}/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    const argv = raw.split('\0').filter((arg, index, all) => arg.length > 0 || index < all.length - 1);
    const program = auditedProgram(argv);
    if (!program) continue;
    const { args, passwordArguments } = redactCommandLine(argv);
    const facts: ProcessFacts = { pid: Number(entry), program, args, passwordArguments };
    if (program === 'etcd') facts.etcdEnvironment = await etcdEnvironment(`${procDir}/${entry}/environ`);
    found.push(facts);
  }
  return found.sort((a, b) => a.pid - b.pid);
}

/** Which audited program a command line runs: directly, through a Python interpreter (patroni), or node (pgfleet). */
export function auditedProgram(argv: readonly string[]): AuditedProgram | undefined {
  if (argv.length === 0) return undefined;
  const name = basename(argv[0]!);
  const direct = asProgram(name);
  if (direct) return direct;
  if (/^python(\d+(\.\d+)?)?$/.test(name)) {
    const script = argv.slice(1).find((arg) => !arg.startsWith('-'));
    return script ? asProgram(basename(script)) : undefined;
  }
  if (name === 'node' || name === 'nodejs') {
    const script = argv.slice(1).find((arg) => !arg.startsWith('-'));
    if (script && (/(^|\/)pgfleet$/.test(script) || /\/dist\/cli\/main\.js$/.test(script))) return 'pgfleet';
  }
  return undefined;
}

function asProgram(name: string): AuditedProgram | undefined {
  return (['etcd', 'etcdctl', 'patroni', 'patronictl', 'pgfleet'] as const).find((program) => program === name);
}

async function etcdEnvironment(path: string): Promise<Record<string, string> | undefined> {
  try {
    const variables: Record<string, string> = {};
    for (const entry of (await readFile(path, 'utf8')).split('\0')) {
      const equals = entry.indexOf('=');
      const name = equals > 0 ? entry.slice(0, equals) : '';
      if (ETCD_ENVIRONMENT.includes(name)) variables[name] = entry.slice(equals + 1);
    }
    return variables;
  } catch {
    return undefined;
  }
}
