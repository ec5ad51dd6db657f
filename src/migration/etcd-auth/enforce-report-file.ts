import { join } from 'node:path';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.js';
import { renderEnforceReport } from './auth-text.js';
import type { EnforceReport } from './enforce-report.js';

/**
 * Keeps the report of an enforce run on disk, as JSON and as text
 * (`<dir>/etcd-auth-enforce-<started>-<id>.{json,txt}`): what was done, when,
 * and to which member. No secret is in it.
 */
export async function writeEnforceReportFiles(
  dir: string,
  report: EnforceReport,
): Promise<{ json: string; text: string }> {
  const base = join(dir, `etcd-auth-enforce-${report.state.startedAt.replace(/[:.]/g, '-')}-${report.state.id}`);
  const files = { json: `${base}.json`, text: `${base}.txt` };
  await writeFileAtomic(files.json, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o640, dirMode: 0o750 });
  await writeFileAtomic(files.text, `${renderEnforceReport(report)}\n`, { mode: 0o640, dirMode: 0o750 });
  return files;
}
