import { authSafetyOf, blocksAuthSwitch, describeAuthSafety } from '../core/versions/auth-safety.js';
import { compareVersions } from '../core/versions/version-compare.js';

/**
 * What `pgfleet doctor` judges, without I/O: which programs pgfleet needs,
 * which Debian package brings each, and whether the versions found work
 * together (from ../shared/notes/patroni-etcd-facts.md and Patroni's
 * release notes).
 */
export type ProgramName = 'etcd' | 'etcdctl' | 'patroni' | 'patronictl' | 'postgres' | 'pg_ctl';

export interface ProgramRequirement {
  name: ProgramName;
  /** Missing it makes doctor fail (exit 2); optional ones are reported only. */
  required: boolean;
  neededFor: string;
}

export const PROGRAM_REQUIREMENTS: readonly ProgramRequirement[] = [
  { name: 'etcd', required: true, neededFor: 'the lab (pgfleet lab), and the etcd version check' },
  { name: 'etcdctl', required: false, neededFor: 'operators only: pgfleet talks to the etcd API itself' },
  { name: 'patroni', required: true, neededFor: 'instances and the lab; configuration generation asks its version' },
  { name: 'patronictl', required: false, neededFor: 'operators only: pgfleet uses the Patroni REST API itself' },
  { name: 'postgres', required: true, neededFor: 'instances and the lab (patroni runs it from postgresql.bin_dir)' },
  { name: 'pg_ctl', required: true, neededFor: 'instances and the lab (patroni runs it from postgresql.bin_dir)' },
];

/** The Debian package that installs a program; PostgreSQL's follows the major in bin_dir. */
export function debianPackageOf(name: ProgramName, postgresBinDir: string): string {
  switch (name) {
    case 'etcd':
      return 'etcd-server';
    case 'etcdctl':
      return 'etcd-client';
    case 'patroni':
    case 'patronictl':
      return 'patroni';
    case 'postgres':
    case 'pg_ctl': {
      const major = /^\/usr\/lib\/postgresql\/(\d+)\/bin\/?$/.exec(postgresBinDir)?.[1];
      return major ? `postgresql-${major}` : 'postgresql';
    }
  }
}

/** The install command for the packages missing, one line, in the order given and without repeats. */
export function installCommand(packages: string[], asRoot: boolean): string | undefined {
  const unique = [...new Set(packages)];
  if (unique.length === 0) return undefined;
  return `${asRoot ? '' : 'sudo '}apt-get install -y ${unique.join(' ')}`;
}

/** The first dotted version in a program's `--version` output: `etcd Version: 3.4.23`, `postgres (PostgreSQL) 15.18 (Debian ...)`. */
export function parseProgramVersion(output: string): string | undefined {
  return /\b(\d+\.\d+(?:\.\d+)?)\b/.exec(output)?.[1];
}

/**
 * The newest PostgreSQL major each Patroni release line supports, newest
 * first (Patroni release notes: 2.0.0 PG 13, 2.1.0 PG 14, 2.1.5 PG 15,
 * 3.0.3 PG 16 beta, 4.0.0 PG 17, 4.0.7 PG 18).
 */
const POSTGRES_SUPPORT: readonly { since: string; newestMajor: number }[] = [
  { since: '4.0.7', newestMajor: 18 },
  { since: '4.0.0', newestMajor: 17 },
  { since: '3.0.3', newestMajor: 16 },
  { since: '2.1.5', newestMajor: 15 },
  { since: '2.1.0', newestMajor: 14 },
  { since: '2.0.0', newestMajor: 13 },
];
const OLDEST_POSTGRES = '9.3';

export function newestPostgresMajorFor(patroniVersion: string): number | undefined {
  return POSTGRES_SUPPORT.find((entry) => compareVersions(patroniVersion, entry.since) >= 0)?.newestMajor;
}

/** `15.18` -> 15; `9.6.24` -> 9.6 (before 10, the major has two parts). */
export function postgresMajor(version: string): string {
  const [first, second] = version.split('.');
  return Number(first) >= 10 ? first! : `${first}.${second ?? '0'}`;
}

export type CompatibilityStatus = 'ok' | 'unsupported' | 'unknown';

export interface CompatibilityCheck {
  check: 'etcd-patroni' | 'postgresql-patroni';
  status: CompatibilityStatus;
  message: string;
  hint?: string;
}

export interface InstalledVersions {
  etcd?: string | undefined;
  patroni?: string | undefined;
  postgres?: string | undefined;
}

/** Checks each pair whose two versions are known; a missing program is reported elsewhere. */
export function compatibilityChecks(versions: InstalledVersions): CompatibilityCheck[] {
  const checks: CompatibilityCheck[] = [];
  const { etcd, patroni, postgres } = versions;
  if (etcd && patroni) checks.push(etcdWithPatroni(etcd, patroni));
  if (postgres && patroni) checks.push(postgresWithPatroni(postgres, patroni));
  return checks;
}

function etcdWithPatroni(etcd: string, patroni: string): CompatibilityCheck {
  const pair = `etcd ${etcd} with Patroni ${patroni}`;
  // The same question `etcd auth enforce` gates on and the audit asks: one answer from the compatibility matrix.
  const safety = authSafetyOf(patroni, etcd);
  if (!blocksAuthSwitch(safety)) {
    return {
      check: 'etcd-patroni',
      status: 'ok',
      message: `${pair}: supported, also once etcd authentication is on — ${describeAuthSafety(safety)}`,
    };
  }
  if (safety.verdict === 'unsafe') {
    return {
      check: 'etcd-patroni',
      status: 'unsupported',
      message: `${pair}: unsupported with etcd authentication (etcd auth enforce refuses it) — ${describeAuthSafety(safety)}`,
      hint: 'with this Patroni, run etcd 3.4.x up to 3.4.41 (Debian bookworm ships 3.4.23), or upgrade Patroni; `pgfleet etcd upgrade check --to VERSION` judges a target etcd',
    };
  }
  return {
    check: 'etcd-patroni',
    status: 'unknown',
    message: `${pair}: not verified, so etcd auth enforce refuses it — ${describeAuthSafety(safety)}`,
    hint: 'try the guarded switch on a lab first (pgfleet lab demo), or run a pair `pgfleet etcd upgrade check` judges safe',
  };
}

function postgresWithPatroni(postgres: string, patroni: string): CompatibilityCheck {
  const major = postgresMajor(postgres);
  const pair = `PostgreSQL ${major} with Patroni ${patroni}`;
  const newest = newestPostgresMajorFor(patroni);
  if (newest === undefined) {
    return {
      check: 'postgresql-patroni',
      status: 'unknown',
      message: `${pair}: Patroni older than 2.0 is not known to pgfleet`,
      hint: 'upgrade Patroni (Debian bookworm ships 3.0.2)',
    };
  }
  if (compareVersions(major, OLDEST_POSTGRES) < 0) {
    return {
      check: 'postgresql-patroni',
      status: 'unsupported',
      message: `${pair}: Patroni supports PostgreSQL ${OLDEST_POSTGRES} and later`,
      hint: 'upgrade PostgreSQL',
    };
  }
  if (compareVersions(major, String(newest)) > 0) {
    return {
      check: 'postgresql-patroni',
      status: 'unsupported',
      message: `${pair}: Patroni ${patroni} supports PostgreSQL up to ${newest}`,
      hint: `upgrade Patroni, or set postgresql.bin_dir to a PostgreSQL ${newest} or older (e.g. /usr/lib/postgresql/${newest}/bin)`,
    };
  }
  return {
    check: 'postgresql-patroni',
    status: 'ok',
    message: `${pair}: supported (Patroni ${patroni} runs PostgreSQL ${OLDEST_POSTGRES} to ${newest})`,
  };
}
