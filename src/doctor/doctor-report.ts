import { join } from 'node:path';
import { isPgfleetError } from '../core/errors.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { defaultSiteSettings, loadSiteSettings, settingsCandidates } from '../adapters/settings/site-settings-file.js';
import { type ProgramProbe, probeProgram } from './installed-programs.js';
import {
  type CompatibilityCheck,
  PROGRAM_REQUIREMENTS,
  type ProgramName,
  compatibilityChecks,
  debianPackageOf,
  installCommand,
} from './stack-compatibility.js';

export interface DoctorReport {
  node: { version: string; supported: boolean };
  settings: {
    /** The file in effect, or null when none exists (every default applies). */
    file: string | null;
    searched: string[];
    error: { code: string; message: string; hint: string | null } | null;
  };
  programs: (ProgramProbe & { required: boolean; neededFor: string; package: string })[];
  compatibility: CompatibilityCheck[];
  missing: { name: ProgramName; required: boolean; package: string }[];
  /** One command installing every missing program, or null. */
  install: string | null;
  /** Everything required is here, versions known and not unsupported, settings valid. */
  ok: boolean;
}

/**
 * `pgfleet doctor`: the settings file in effect (same lookup as every other
 * command), the programs pgfleet runs with their versions, whether those
 * versions work together, and how to install what is missing.
 */
export async function doctorReport(options: {
  explicitSettings?: string | undefined;
  env?: NodeJS.ProcessEnv;
  asRoot: boolean;
}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const searched = options.explicitSettings ? [options.explicitSettings] : settingsCandidates(env);
  let settings: SiteSettings;
  let file: string | null = null;
  let error: DoctorReport['settings']['error'] = null;
  try {
    const loaded = loadSiteSettings(options.explicitSettings, env);
    settings = loaded.settings;
    file = loaded.source ?? null;
  } catch (thrown) {
    if (!isPgfleetError(thrown)) throw thrown;
    error = { code: thrown.code, message: thrown.message, hint: thrown.hint ?? null };
    // The programs are still worth checking, where the defaults put them.
    settings = defaultSiteSettings();
    file = options.explicitSettings ?? null;
  }

  const binDir = settings.postgresql.bin_dir;
  const where: Record<ProgramName, string> = {
    etcd: 'etcd',
    etcdctl: 'etcdctl',
    patroni: settings.patroni?.execpath ?? '/usr/bin/patroni',
    patronictl: settings.patroni?.ctlpath ?? '/usr/bin/patronictl',
    postgres: join(binDir, 'postgres'),
    pg_ctl: join(binDir, 'pg_ctl'),
  };
  const programs = await Promise.all(
    PROGRAM_REQUIREMENTS.map(async (requirement) => ({
      ...(await probeProgram(requirement.name, where[requirement.name], env)),
      required: requirement.required,
      neededFor: requirement.neededFor,
      package: debianPackageOf(requirement.name, binDir),
    })),
  );
  const versionOf = (name: ProgramName) => programs.find((program) => program.name === name)?.version ?? undefined;
  const compatibility = compatibilityChecks({
    etcd: versionOf('etcd'),
    patroni: versionOf('patroni'),
    postgres: versionOf('postgres'),
  });
  const missing = programs
    .filter((program) => !program.found)
    .map((program) => ({ name: program.name, required: program.required, package: program.package }));
  const nodeSupported =
    Number(process.versions.node.split('.')[0]) > 20 ||
    (Number(process.versions.node.split('.')[0]) === 20 && Number(process.versions.node.split('.')[1]) >= 10);
  const ok =
    error === null &&
    nodeSupported &&
    !missing.some((program) => program.required) &&
    !programs.some((program) => program.required && program.found && program.version === null) &&
    !compatibility.some((check) => check.status === 'unsupported');
  return {
    node: { version: process.version, supported: nodeSupported },
    settings: { file, searched, error },
    programs,
    compatibility,
    missing,
    install:
      installCommand(
        missing.map((program) => program.package),
        options.asRoot,
      ) ?? null,
    ok,
  };
}

export function renderDoctorReport(report: DoctorReport): string {
  const lines: string[] = [];
  if (report.settings.error)
    lines.push(
      `settings   INVALID ${report.settings.error.message}`,
      ...(report.settings.error.hint ? [`           hint: ${report.settings.error.hint}`] : []),
    );
  else if (report.settings.file) lines.push(`settings   ${report.settings.file}`);
  else lines.push('settings   no file found: every default applies (an open etcd on 127.0.0.1:2379)');
  lines.push(`           looked up in order: ${report.settings.searched.join(', ')}`);
  lines.push(
    `node       ${report.node.version}${report.node.supported ? '' : '  UNSUPPORTED: pgfleet needs Node.js 20.10 or later'}`,
  );
  lines.push('', 'programs');
  const nameWidth = Math.max(...report.programs.map((program) => program.name.length));
  for (const program of report.programs) {
    const status = !program.found ? (program.required ? 'MISSING' : 'missing') : program.version ? 'ok' : 'UNKNOWN';
    const version = program.version ?? '-';
    const note = !program.found
      ? `  (${program.required ? 'required' : 'optional'}: ${program.neededFor}; package ${program.package})`
      : program.problem
        ? `  (${program.problem})`
        : '';
    lines.push(`  ${status.padEnd(8)} ${program.name.padEnd(nameWidth)}  ${version.padEnd(8)} ${program.path}${note}`);
  }
  if (report.compatibility.length > 0) {
    lines.push('', 'compatibility');
    for (const check of report.compatibility) {
      lines.push(`  ${(check.status === 'ok' ? 'ok' : check.status.toUpperCase()).padEnd(12)} ${check.message}`);
      if (check.hint && check.status !== 'ok') lines.push(`  ${''.padEnd(12)} hint: ${check.hint}`);
    }
  }
  if (report.install) lines.push('', `install what is missing: ${report.install}`);
  lines.push(
    '',
    report.ok
      ? 'everything pgfleet needs is here'
      : 'pgfleet cannot run everything here: see the lines in capitals above',
  );
  return lines.join('\n');
}
